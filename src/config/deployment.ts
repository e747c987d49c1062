// Guards for a process that looks deployed but was not told so. `NODE_ENV` defaults to
// development, and development prints mail (reset links, verification links) to stdout. In a
// container, stdout is collected into a log platform that many people can read, so a production
// container started without NODE_ENV would publish every account's reset link. The same holds for a
// development server listening on a non-loopback address. See docs/decisions/0077.
import { existsSync, readFileSync } from 'node:fs'
import { isIPv4 } from 'node:net'
import { ConfigError } from './config-error.js'
import type { Env } from './secrets.js'

export type MailTransport = 'smtp' | 'stdout' | 'none'

/** What the process can tell about where it runs; tests pass their own. */
export interface Runtime {
  readonly inContainer: boolean
}

/**
 * True inside Docker, Podman or Kubernetes: Kubernetes' service variable, the marker files
 * Docker (/.dockerenv) and Podman (/run/.containerenv) create, or a container runtime's name in
 * PID 1's cgroup. False positives only cost an explicit NODE_ENV or MAIL_TRANSPORT.
 */
export function detectRuntime(env: Env): Runtime {
  if ((env['KUBERNETES_SERVICE_HOST'] ?? '') !== '' || (env['container'] ?? '') !== '') return { inContainer: true }
  if (existsSync('/.dockerenv') || existsSync('/run/.containerenv')) return { inContainer: true }
  try {
    return { inContainer: /docker|kubepods|containerd|libpod|lxc/.test(readFileSync('/proc/1/cgroup', 'utf8')) }
  } catch {
    return { inContainer: false }
  }
}

/** Loopback listen addresses: only this machine can connect. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '')
  const v4 = h.startsWith('::ffff:') ? h.slice('::ffff:'.length) : h
  return h === 'localhost' || h === '::1' || (isIPv4(v4) && v4.startsWith('127.'))
}

/** Where mail goes, and why it is withheld when the terminal printer was refused. */
export interface MailChoice {
  readonly transport: MailTransport
  /** Set when mail would have been printed but the process looks deployed: one line for the log. */
  readonly withheld?: string
}

/**
 * Where mail goes, given `MAIL_TRANSPORT` (validated by the schema). Unset: SMTP when SMTP_URL is set; in production nothing (the
 * outbox keeps it until SMTP is configured); otherwise the terminal, unless the process looks
 * deployed (no NODE_ENV in a container, or a non-loopback HOST): then the printer is refused and
 * mail stays queued in the outbox (the API still starts, `npm start` keeps working) until SMTP_URL
 * is set or the terminal is chosen explicitly with NODE_ENV=development or MAIL_TRANSPORT=stdout.
 */
export function mailTransportFrom(
  chosen: 'smtp' | 'stdout' | undefined,
  opts: { production: boolean; nodeEnvSet: boolean; host: string; smtpUrl: string | undefined; runtime: Runtime },
): MailChoice {
  if (chosen === 'smtp') {
    if (opts.smtpUrl === undefined) throw new ConfigError('MAIL_TRANSPORT: smtp needs SMTP_URL')
    return { transport: 'smtp' }
  }
  if (chosen === 'stdout') {
    if (opts.production) throw new ConfigError('MAIL_TRANSPORT: stdout is refused in production (it would print reset links into the logs)')
    return { transport: 'stdout' }
  }
  if (opts.smtpUrl !== undefined) return { transport: 'smtp' }
  if (opts.production) return { transport: 'none' }
  if (!opts.nodeEnvSet && opts.runtime.inContainer) {
    return {
      transport: 'none',
      withheld:
        'NODE_ENV is unset in a container, so mail (reset links) is not printed to stdout; it stays queued in email_outbox. Set SMTP_URL, NODE_ENV=development on a developer machine, or MAIL_TRANSPORT=stdout',
    }
  }
  if (!isLoopbackHost(opts.host)) {
    return {
      transport: 'none',
      withheld:
        'HOST is not a loopback address, so mail (reset links) is not printed to stdout; it stays queued in email_outbox. Set SMTP_URL, or opt in with MAIL_TRANSPORT=stdout',
    }
  }
  return { transport: 'stdout' }
}

/**
 * Vault serves the token and every secret: plain http is allowed only in development and tests
 * that were asked for explicitly (not a container that merely lacks NODE_ENV).
 */
export function assertVaultScheme(addr: string | undefined, opts: { developmentLike: boolean }): void {
  if (addr === undefined || opts.developmentLike) return
  if (!/^https:\/\//i.test(addr)) throw new ConfigError('VAULT_ADDR: must be https outside development (the Vault token and every secret travel over it)')
}
