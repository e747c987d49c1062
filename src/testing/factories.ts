// Test helpers. Two ways to get a signed-in account:
// - signUpAndLogin drives the real HTTP flows (sign up, read the mail from the outbox, verify, log
//   in): three argon2 operations and a strength check per account, and the mails and audit rows
//   those flows write. Tests about registration, verification, login and passwords use it.
// - createAccount / signedIn insert the account row (its password hash made once per app's hasher,
//   so logging in with that password still works) and issue a session through the
//   sessions service (a genuine cookie). Every other test uses them: no mails, no audit rows.
import { sql } from 'kysely'
import type { LightMyRequestResponse } from 'fastify'
import type { RequestMeta } from '../audit/audit.service.js'
import { markEmailVerified, rememberDevice } from '../accounts/accounts.service.js'
import { normalizeEmail } from '../mail/address.js'
import { normalizePassword } from '../accounts/password-policy.js'
import { deviceFingerprint } from '../auth/new-device.js'
import type { PasswordHasher } from '../crypto/password.js'
import { randomSecret } from '../crypto/random.js'
import { SESSION_COOKIE } from '../http/cookies.js'
import { issueSession } from '../sessions/sessions.service.js'
import type { TestApp } from './test-app.js'
import { referenceTotp } from './totp-reference.js'

export const STRONG_PASSWORD = 'correct horse battery staple orbit'

// What app.inject sends unless told otherwise: the session and device an inject login would record.
export const INJECT_META: RequestMeta = { ip: '127.0.0.1', userAgent: 'lightMyRequest' }

// Per hasher (one per app), so a hash always carries the parameters of the app that verifies it.
const passwordHashes = new WeakMap<PasswordHasher, Map<string, Promise<string>>>()

/** The PHC string of `password` under the app hasher's parameters, hashed once per hasher. */
function passwordHash(t: Pick<TestApp, 'deps'>, password: string): Promise<string> {
  const hasher = t.deps.hasher
  let cache = passwordHashes.get(hasher)
  if (cache === undefined) {
    cache = new Map()
    passwordHashes.set(hasher, cache)
  }
  const cached = cache.get(password)
  if (cached) return cached
  const made = hasher.hash(normalizePassword(password))
  cache.set(password, made)
  // A failed hash (a saturated hasher) is not remembered: the next account tries again.
  made.catch(() => cache.delete(password))
  return made
}

export interface AccountOptions {
  /** Defaults to a fresh unique address. */
  email?: string
  password?: string
  verified?: boolean
}

/** Inserts an account row (verified by default) whose password is `password`; no mail, no audit row. */
export async function createAccount(t: Pick<TestApp, 'deps'>, opts: AccountOptions = {}): Promise<{ id: string; email: string }> {
  const email = normalizeEmail(opts.email ?? `user-${randomSecret(6).toString('hex')}@example.test`)
  const now = t.deps.clock.now()
  const hash = await passwordHash(t, opts.password ?? STRONG_PASSWORD)
  const { id } = await t.deps.db
    .insertInto('accounts')
    .values({ email, password_hash: hash, created_at: now, password_changed_at: now })
    .returning('id')
    .executeTakeFirstOrThrow()
  if (opts.verified ?? true) await markEmailVerified(t.deps.db, id, now)
  return { id, email }
}

/** Creates an account (an address or options) and returns a session cookie for it. */
export async function signedIn(t: Pick<TestApp, 'deps'>, account: string | AccountOptions = {}): Promise<string> {
  const { id } = await createAccount(t, typeof account === 'string' ? { email: account } : account)
  return sessionFor(t, id)
}

/** The id of the account registered under `email` (throws when there is none). */
export async function accountIdOf(t: Pick<TestApp, 'deps'>, email: string): Promise<string> {
  return (await t.deps.db.selectFrom('accounts').select('id').where('email', '=', email).executeTakeFirstOrThrow()).id
}

/** A session cookie issued by the sessions service, as a login from app.inject's default client would be. */
export async function sessionFor(t: Pick<TestApp, 'deps'>, accountId: string): Promise<string> {
  return (await issueTestSession(t, accountId)).cookie
}

/** sessionFor, and the session's id (what a service call on behalf of that session names). */
export async function issueTestSession(t: Pick<TestApp, 'deps'>, accountId: string): Promise<{ cookie: string; sessionId: string }> {
  const { token, sessionId } = await issueSession(t.deps, t.deps.db, accountId, INJECT_META, false)
  await rememberDevice(t.deps.db, accountId, deviceFingerprint(INJECT_META), t.deps.clock.now())
  return { cookie: `${SESSION_COOKIE}=${token}`, sessionId }
}

/**
 * The mails to `address`, oldest first. A test's clock often stands still, so created_at ties; the
 * inserting transaction's id (xmin) breaks them. Not the physical order: a database handed on from
 * another file (src/testing/test-db.ts) puts new rows in the space deleted ones left.
 */
export async function mailsTo(t: TestApp, address: string): Promise<{ subject: string; body_text: string | null }[]> {
  return t.deps.db
    .selectFrom('email_outbox')
    .select(['subject', 'body_text'])
    .where('to_address', '=', address)
    .orderBy('created_at')
    .orderBy(sql`xmin::text::bigint`)
    .execute()
}

/** The token in the newest mail to `address` whose link has `path` (verify-email, reset-password). */
export async function tokenFromMail(t: TestApp, address: string, path: string): Promise<string> {
  const mails = await mailsTo(t, address)
  for (const mail of mails.reverse()) {
    const match = new RegExp(`/${path}#token=([A-Za-z0-9_-]+)`).exec(mail.body_text ?? '')
    if (match?.[1]) return match[1]
  }
  throw new Error(`no ${path} mail to ${address}`)
}

export function sessionCookieFrom(res: LightMyRequestResponse, name = '__Host-session'): string {
  const cookie = res.cookies.find((c) => c.name === name)
  if (!cookie?.value) throw new Error(`no ${name} cookie in the answer (status ${res.statusCode}: ${res.body})`)
  return `${name}=${cookie.value}`
}

export async function register(t: TestApp, email: string, password = STRONG_PASSWORD): Promise<LightMyRequestResponse> {
  return t.app.inject({ method: 'POST', url: '/v1/auth/register', payload: { email, password } })
}

export async function login(t: TestApp, email: string, password = STRONG_PASSWORD, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
  return t.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email, password }, headers })
}

/** Registers, verifies through the mailed link, and returns a session cookie header value. */
export async function signUpAndLogin(t: TestApp, email: string, password = STRONG_PASSWORD): Promise<string> {
  const reg = await register(t, email, password)
  if (reg.statusCode !== 202) throw new Error(`register answered ${reg.statusCode}: ${reg.body}`)
  const token = await tokenFromMail(t, email, 'verify-email')
  const verified = await t.app.inject({ method: 'POST', url: '/v1/auth/verify-email', payload: { token, password } })
  if (verified.statusCode !== 204) throw new Error(`verify answered ${verified.statusCode}: ${verified.body}`)
  return sessionCookieFrom(await login(t, email, password))
}

/** Counts argon2 verifications while `work` runs (proves how many guesses reached the hasher). */
export async function countVerifies(t: TestApp, work: () => Promise<void>): Promise<number> {
  let verifies = 0
  const original = t.deps.hasher.verify.bind(t.deps.hasher)
  t.deps.hasher.verify = async (hash, password, place) => {
    verifies += 1
    return original(hash, password, place)
  }
  try {
    await work()
  } finally {
    t.deps.hasher.verify = original
  }
  return verifies
}

/** Verifies the address with the mailed link; the link works only with the account's password. */
export async function verifyEmail(t: TestApp, token: string, password = STRONG_PASSWORD): Promise<LightMyRequestResponse> {
  return t.app.inject({ method: 'POST', url: '/v1/auth/verify-email', payload: { token, password } })
}

/** Creates an API token from a session; returns its secret. */
export async function createApiToken(t: TestApp, cookie: string, scopes: string[]): Promise<string> {
  const res = await t.app.inject({ method: 'POST', url: '/v1/tokens', headers: { cookie }, payload: { name: 'test', scopes } })
  if (res.statusCode !== 201) throw new Error(`token creation answered ${res.statusCode}: ${res.body}`)
  return res.json<{ token: string }>().token
}

/**
 * Turns TOTP on for the signed-in session `cookie` (enrol with the password, confirm with a code).
 * Confirming re-issues the session token (a session that gains a factor rotates): use the returned
 * cookie afterwards; the old one is dead.
 */
export async function enableTotp(t: TestApp, cookie: string, password = STRONG_PASSWORD): Promise<{ cookie: string; secret: string; recoveryCodes: string[] }> {
  const enrol = await t.app.inject({ method: 'POST', url: '/v1/me/mfa/totp', headers: { cookie }, payload: { password } })
  if (enrol.statusCode !== 200) throw new Error(`TOTP enrolment answered ${enrol.statusCode}`)
  const secret = enrol.json().secret as string
  const confirmed = await t.app.inject({
    method: 'POST',
    url: '/v1/me/mfa/totp/confirm',
    headers: { cookie },
    payload: { code: await referenceTotp(secret, t.clock.now()) },
  })
  if (confirmed.statusCode !== 200) throw new Error(`TOTP confirm answered ${confirmed.statusCode}`)
  return { cookie: sessionCookieFrom(confirmed), secret, recoveryCodes: confirmed.json().recoveryCodes as string[] }
}
