// A profile maps the kit's probes onto one API's routes and bodies. The default is this starter's
// contract (docs/API.md); another API gives a JSON file of the same shape (--profile). In bodies
// and paths, {email}, {password}, {nonce} and {id} are replaced before sending.
import { readFile } from 'node:fs/promises'
import { Type, type Static } from 'typebox'
import { Value } from 'typebox/value'

const Route = Type.Object(
  {
    method: Type.String({ pattern: '^[A-Z]{3,7}$' }),
    // One leading slash: '//host/x' would leave the target for another host.
    path: Type.String({ pattern: '^/(?!/)', maxLength: 500 }),
    body: Type.Optional(Type.Unknown()),
  },
  { additionalProperties: false },
)
export type Route = Static<typeof Route>

export const Profile = Type.Object(
  {
    name: Type.String({ maxLength: 100 }),
    /** Any public answer: headers, CORS and leakage are read here. */
    root: Route,
    securityTxt: Route,
    register: Route,
    login: Route,
    logout: Route,
    passwordReset: Route,
    /** An authenticated read: answers 2xx with a live session and 401/403 without. */
    me: Route,
    /** A cookie-authenticated state change whose effect the kit can observe: POSTing it across
     * sites must be refused, and `me` must still answer afterwards. */
    csrfTarget: Route,
    /** Issues a credential the kit inspects (an API token), then revokes it. */
    issueToken: Type.Optional(Route),
    tokenField: Type.String({ maxLength: 100 }),
    tokenIdField: Type.String({ maxLength: 100 }),
    revokeToken: Type.Optional(Route),
    /** The session cookie's name; unset: the first cookie the login sets. */
    sessionCookie: Type.Optional(Type.String({ maxLength: 100 })),
    /** Domain of the made-up addresses used as "unknown" (default: the known account's domain). */
    unknownEmailDomain: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
)
export type Profile = Static<typeof Profile>

export const STARTER_PROFILE: Profile = {
  name: 'secure-saas-starter (docs/API.md)',
  root: { method: 'GET', path: '/' },
  securityTxt: { method: 'GET', path: '/.well-known/security.txt' },
  register: { method: 'POST', path: '/v1/auth/register', body: { email: '{email}', password: '{password}' } },
  login: { method: 'POST', path: '/v1/auth/login', body: { email: '{email}', password: '{password}' } },
  logout: { method: 'POST', path: '/v1/auth/logout' },
  passwordReset: { method: 'POST', path: '/v1/auth/password-reset', body: { email: '{email}' } },
  me: { method: 'GET', path: '/v1/me' },
  csrfTarget: { method: 'POST', path: '/v1/auth/logout', body: {} },
  issueToken: { method: 'POST', path: '/v1/tokens', body: { name: 'conformance-{nonce}', scopes: ['account:read'], expiresInDays: 1 } },
  tokenField: 'token',
  tokenIdField: 'id',
  revokeToken: { method: 'DELETE', path: '/v1/tokens/{id}' },
  sessionCookie: '__Host-session',
}

/** Reads and validates a profile file; unknown keys are refused so a typo is not silently ignored. */
export async function loadProfile(file: string): Promise<Profile> {
  const text = await readFile(file, 'utf8')
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (err) {
    throw new Error(`profile ${file} is not JSON: ${err instanceof Error ? err.message : String(err)}`)
  }
  const merged: unknown = typeof raw === 'object' && raw !== null ? { ...STARTER_PROFILE, ...raw } : raw
  if (!Value.Check(Profile, merged)) throw new Error(`profile ${file}: ${profileError(merged)}`)
  return merged
}

/** The first thing wrong with a profile, an unknown key (a typo) named as such. */
function profileError(value: unknown): string {
  const errors = Value.Errors(Profile, value)
  const extra = errors.find((e) => e.keyword === 'additionalProperties')
  if (extra) {
    const keys = (extra.params as { additionalProperties?: string[] }).additionalProperties ?? []
    return `${extra.instancePath ? `${extra.instancePath}: ` : ''}unknown key${keys.length > 1 ? 's' : ''} ${keys.join(', ')}`
  }
  const first = errors[0]
  return first ? `${first.instancePath || '/'} ${first.message}` : 'invalid'
}

/** Replaces {name} placeholders in every string of a JSON value. */
export function fill(value: unknown, vars: Record<string, string>): unknown {
  if (typeof value === 'string') return value.replace(/\{(\w+)\}/g, (m, k: string) => vars[k] ?? m)
  if (Array.isArray(value)) return value.map((v) => fill(v, vars))
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fill(v, vars)]))
  return value
}
