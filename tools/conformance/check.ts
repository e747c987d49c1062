// What a check is and what it reports. A check sends requests through the context's prober and
// returns the problems it saw: none is a pass. Each one names the standard it tests and the row of
// docs/controls.md that shows how this starter meets it.
import { randomBytes } from 'node:crypto'
import { type ProbeResponse, type Prober } from './http.js'
import { fill, type Profile, type Route } from './profile.js'

export type Outcome = 'pass' | 'fail' | 'skip'

export interface Finding {
  id: string
  title: string
  outcome: Outcome
  /** ASVS 5.0 requirement ids (or the RFC) the check tests. */
  standards: string[]
  /** The docs/controls.md row (its first words) that shows this starter's way. */
  control: string
  /** What failed, or why it was skipped. */
  problems: string[]
  /** What was seen, pass or fail. */
  notes: string[]
  requests: number
}

export interface Credentials {
  email: string
  password: string
}

export interface CheckContext {
  prober: Prober
  profile: Profile
  credentials: Credentials | undefined
  /** Loopback, or --i-own-this-host: throttling and enumeration probes may run. */
  hostAllowed: boolean
  timing: { samples: number; thresholdMs: number }
  throttle: { accountAttempts: number; addressAttempts: number }
  /** Set by the session helper: the first login's answer, shared by the read-only checks. */
  shared: { login?: ProbeResponse }
}

export type Requirement = 'account' | 'allowed-host'

/**
 * Thrown when the target does not let a check observe what it tests: the account cannot log in, or
 * a route of the profile does not answer like one. The check is skipped and the run ends "could not
 * check", never green: a check that saw nothing must not pass.
 */
export class CannotCheck extends Error {}

export interface CheckResult {
  problems: string[]
  notes?: string[]
  /** A reason the check could not run to a verdict (e.g. the login asked for a second factor). */
  skipped?: string
}

export interface Check {
  id: string
  title: string
  standards: string[]
  control: string
  needs: Requirement[]
  run(ctx: CheckContext): Promise<CheckResult>
}

/** A value no server has seen before: made-up addresses, token names. */
export function nonce(): string {
  return randomBytes(6).toString('hex')
}

/** Sends one of the profile's routes with the placeholders filled in. */
export function sendRoute(ctx: CheckContext, route: Route, vars: Record<string, string>, headers: Record<string, string> = {}): Promise<ProbeResponse> {
  const path = String(fill(route.path, vars))
  const hasBody = route.body !== undefined
  return ctx.prober.send({
    method: route.method,
    path,
    headers: hasBody ? { 'content-type': 'application/json', ...headers } : headers,
    ...(hasBody ? { body: JSON.stringify(fill(route.body, vars)) } : {}),
  })
}

export function isSuccess(res: ProbeResponse): boolean {
  return res.status >= 200 && res.status < 300
}

/** An address at the known account's domain (or the profile's) that no one registered. */
export function unknownEmail(ctx: CheckContext, label: string): string {
  const domain = ctx.profile.unknownEmailDomain ?? ctx.credentials?.email.split('@')[1] ?? 'example.com'
  return `conformance-${label}-${nonce()}@${domain}`
}

/**
 * A password that passes any sane policy and is nobody's. Random throughout, and never containing
 * the local part of `email`: a policy that refuses a password containing the address (this starter's
 * does) would otherwise refuse it for one address and not another, which reads as enumeration.
 */
export function strangerPassword(email = ''): string {
  const local = (email.split('@')[0] ?? '').toLowerCase()
  for (;;) {
    const password = `${randomBytes(12).toString('base64url')} ${randomBytes(12).toString('base64url')}`
    if (local.length < 3 || !password.toLowerCase().includes(local)) return password
  }
}
