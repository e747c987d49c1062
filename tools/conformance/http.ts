// The kit's only door to the network: one request at a time over node:http(s), counted against a
// budget, spaced by a delay, timed, with a tiny cookie jar. node:http rather than fetch because
// fetch refuses TRACE and folds the Set-Cookie headers the checks must read one by one.
import http, { type IncomingHttpHeaders } from 'node:http'
import https from 'node:https'
import { setTimeout as sleep } from 'node:timers/promises'

export interface ProbeRequest {
  method: string
  path: string
  headers?: Record<string, string>
  body?: string
}

export interface ProbeResponse {
  status: number
  headers: IncomingHttpHeaders
  body: string
  /** Milliseconds from sending to the last byte of the answer. */
  ms: number
  setCookies: string[]
}

export interface ProberOptions {
  /** Requests this run may send in all; past it every check still to run is skipped. */
  budget: number
  /** Pause before each request, in milliseconds. */
  delayMs: number
  timeoutMs: number
  /** Accept a self-signed certificate (a staging host); never the default. */
  insecureTls: boolean
}

export class BudgetExhausted extends Error {
  constructor(budget: number) {
    super(`request budget of ${budget} spent`)
    this.name = 'BudgetExhausted'
  }
}

/** Only the bytes the checks read: the answer is cut at 256 KiB so a hostile server cannot fill memory. */
const MAX_BODY_BYTES = 256 * 1024

export class Prober {
  used = 0

  constructor(
    readonly base: URL,
    readonly opts: ProberOptions,
  ) {}

  /** Fails with BudgetExhausted before sending when the budget is spent. */
  /** Counts one request (or TLS handshake) against the budget; throws when none is left. */
  spend(): void {
    if (this.used >= this.opts.budget) throw new BudgetExhausted(this.opts.budget)
    this.used += 1
  }

  async send(req: ProbeRequest): Promise<ProbeResponse> {
    this.spend()
    if (this.opts.delayMs > 0) await sleep(this.opts.delayMs)
    // A base with a path (https://host/api) keeps it: the profile's paths are relative to it.
    const url = new URL(this.base.pathname.replace(/\/$/, '') + req.path, this.base)
    const client = url.protocol === 'https:' ? https : http
    const headers: Record<string, string> = { 'user-agent': 'secure-saas-starter-conformance', ...req.headers }
    if (req.body !== undefined) headers['content-length'] = String(Buffer.byteLength(req.body))
    const started = process.hrtime.bigint()
    return new Promise<ProbeResponse>((resolve, reject) => {
      const request = client.request(url, { method: req.method, headers, timeout: this.opts.timeoutMs, rejectUnauthorized: !this.opts.insecureTls }, (res) => {
        const chunks: Buffer[] = []
        let size = 0
        res.on('data', (chunk: Buffer) => {
          size += chunk.length
          if (size <= MAX_BODY_BYTES) chunks.push(chunk)
        })
        res.on('error', reject)
        res.on('end', () => {
          const setCookie = res.headers['set-cookie'] ?? []
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
            ms: Number(process.hrtime.bigint() - started) / 1e6,
            setCookies: setCookie,
          })
        })
      })
      request.on('timeout', () => request.destroy(new Error(`${req.method} ${req.path}: no answer within ${this.opts.timeoutMs} ms`)))
      request.on('error', reject)
      request.end(req.body)
    })
  }
}

/** OpenSSL's and Node's codes for a server certificate that does not verify: chain, dates or name. */
const CERTIFICATE_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_CHAIN_TOO_LONG',
  'INVALID_CA',
  'INVALID_PURPOSE',
  'PATH_LENGTH_EXCEEDED',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
])

/** Why the server's certificate was refused ("self-signed certificate"), or undefined when `err` is another error. */
export function certificateError(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | null)?.code
  return code !== undefined && CERTIFICATE_CODES.has(code) ? describeError(err) : undefined
}

/** An error as one line. Node's AggregateError (every address of a name refused) has no message of its own. */
export function describeError(err: unknown): string {
  if (err instanceof AggregateError && err.message === '') return err.errors.map(describeError).join('; ')
  if (err instanceof Error) return err.message || ((err as NodeJS.ErrnoException).code ?? err.name)
  return String(err)
}

/** A parsed Set-Cookie line: name, value and lower-cased attributes. */
export interface SetCookie {
  name: string
  value: string
  attributes: Map<string, string>
}

export function parseSetCookie(line: string): SetCookie {
  const [pair = '', ...rest] = line.split(';')
  const eq = pair.indexOf('=')
  const attributes = new Map<string, string>()
  for (const part of rest) {
    const i = part.indexOf('=')
    const key = (i === -1 ? part : part.slice(0, i)).trim().toLowerCase()
    if (key) attributes.set(key, i === -1 ? '' : part.slice(i + 1).trim())
  }
  return { name: pair.slice(0, eq).trim(), value: pair.slice(eq + 1).trim(), attributes }
}

/** The Cookie header a browser would send back after these Set-Cookie lines (expired ones dropped). */
export function cookieHeader(setCookies: string[]): string {
  const jar = new Map<string, string>()
  for (const c of setCookies.map(parseSetCookie)) {
    const maxAge = c.attributes.get('max-age')
    const expires = c.attributes.get('expires')
    const gone = c.value === '' || (maxAge !== undefined && Number(maxAge) <= 0) || (expires !== undefined && Date.parse(expires) < Date.now())
    if (gone) jar.delete(c.name)
    else jar.set(c.name, c.value)
  }
  return [...jar].map(([k, v]) => `${k}=${v}`).join('; ')
}

export function header(res: ProbeResponse, name: string): string | undefined {
  const value = res.headers[name.toLowerCase()]
  return Array.isArray(value) ? value.join(', ') : value
}

/** Loopback by name or address: the only hosts probed for throttling and enumeration by default. */
export function isLoopback(url: URL): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase()
  const octets = host.split('.')
  const ipv4Loopback = octets.length === 4 && octets[0] === '127' && octets.every((o) => /^\d{1,3}$/.test(o))
  return host === 'localhost' || host.endsWith('.localhost') || host === '::1' || ipv4Loopback
}
