// Test helpers that drive the real HTTP flows: sign up, read the mail from the outbox, verify,
// log in. Tests use these instead of writing rows, so they exercise what users do.
import type { LightMyRequestResponse } from 'fastify'
import type { TestApp } from './test-app.js'
import { referenceTotp } from './totp-reference.js'

export const STRONG_PASSWORD = 'correct horse battery staple orbit'

export async function mailsTo(t: TestApp, address: string): Promise<{ subject: string; body_text: string | null }[]> {
  return t.deps.db.selectFrom('email_outbox').select(['subject', 'body_text']).where('to_address', '=', address).orderBy('created_at').execute()
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
  t.deps.hasher.verify = async (hash, password) => {
    verifies += 1
    return original(hash, password)
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
