// Test helpers for the passkey ceremonies over app.inject: ask for options, let a SoftAuthenticator
// answer, send the answer. They return the raw responses so tests can assert on refusals.
import type { LightMyRequestResponse } from 'fastify'
import { randomSecret } from '../crypto/random.js'
import { sessionCookieFrom, signedIn, STRONG_PASSWORD } from './factories.js'
import { type Bend, SoftAuthenticator } from './soft-authenticator.js'
import type { TestApp } from './test-app.js'

export const PASSKEY_PENDING = '__Host-passkey-pending'

export function authenticatorFor(t: TestApp, opts: { backupEligible?: boolean; startCount?: number; idBytes?: number } = {}): SoftAuthenticator {
  return new SoftAuthenticator(t.deps.config.http.publicOrigin, opts)
}

export async function registrationOptions(t: TestApp, session: string, reauth: { password: string; code?: string } = { password: STRONG_PASSWORD }) {
  return t.app.inject({ method: 'POST', url: '/v1/me/passkeys/registration/options', headers: { cookie: session }, payload: reauth })
}

export async function sendRegistration(t: TestApp, session: string, response: object, name = 'Laptop'): Promise<LightMyRequestResponse> {
  return t.app.inject({ method: 'POST', url: '/v1/me/passkeys/registration', headers: { cookie: session }, payload: { name, response } })
}

/** Options, attestation, registration: the whole ceremony; throws unless it answers 201. */
export async function registerPasskey(
  t: TestApp,
  session: string,
  authenticator: SoftAuthenticator,
  bend: Bend = {},
  name = 'Laptop',
): Promise<{ id: string }> {
  const options = await registrationOptions(t, session)
  if (options.statusCode !== 200) throw new Error(`registration options answered ${options.statusCode}: ${options.body}`)
  const res = await sendRegistration(t, session, authenticator.register(options.json(), bend), name)
  if (res.statusCode !== 201) throw new Error(`registration answered ${res.statusCode}: ${res.body}`)
  return res.json()
}

/** POST /v1/auth/passkey/options: the options and the pending cookie ("name=value"). */
export async function signInOptions(t: TestApp, headers: Record<string, string> = {}) {
  const res = await t.app.inject({ method: 'POST', url: '/v1/auth/passkey/options', headers })
  if (res.statusCode !== 200) throw new Error(`sign-in options answered ${res.statusCode}: ${res.body}`)
  return { options: res.json(), pending: sessionCookieFrom(res, PASSKEY_PENDING), res }
}

export async function sendAssertion(t: TestApp, pending: string, response: object, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
  return t.app.inject({ method: 'POST', url: '/v1/auth/passkey', headers: { cookie: pending, ...headers }, payload: { response } })
}

/** The whole passwordless sign-in; returns the raw answer. */
export async function signInWithPasskey(t: TestApp, authenticator: SoftAuthenticator, bend: Bend = {}): Promise<LightMyRequestResponse> {
  const { options, pending } = await signInOptions(t)
  return sendAssertion(t, pending, authenticator.assert(options, bend))
}

/** A fresh signed-in account with one registered passkey, and the authenticator that holds it. */
export async function accountWithPasskey(t: TestApp, opts: { startCount?: number } = {}) {
  const email = `pk-${randomSecret(6).toString('hex')}@example.test`
  const session = await signedIn(t, email)
  const authenticator = authenticatorFor(t, opts)
  const passkey = await registerPasskey(t, session, authenticator)
  return { email, session, authenticator, passkey }
}
