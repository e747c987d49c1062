// TOTP for the tests that need an account with a second factor but are not about turning it on.
// accountWithTotp() inserts the account row (factories.ts), then enrols and confirms through the
// mfa service, as the two HTTP requests would: the same sealed secret, hashed recovery codes,
// rotated session, mails and audit rows, without the requests. Tests about enrolment itself keep
// the HTTP flow (src/mfa/mfa.int.test.ts, totp-enrolment, mfa-reauth) or enableTotp() in factories.ts.
import { SESSION_COOKIE } from '../http/cookies.js'
import { confirmTotp, enrolTotp } from '../mfa/mfa.service.js'
import { type AccountOptions, createAccount, INJECT_META, issueTestSession, STRONG_PASSWORD } from './factories.js'
import type { TestApp } from './test-app.js'
import { referenceTotpForStep, stepAt } from './totp-reference.js'

export interface TotpAccount {
  id: string
  email: string
  /** The session cookie after the confirmation rotated it. */
  session: string
  secret: string
  recoveryCodes: string[]
}

/**
 * An account with TOTP on and a signed-in session. The clock then moves on one step (30 s), so
 * the code that confirmed is not the current one: a test's first code is a fresh one.
 */
export async function accountWithTotp(t: Pick<TestApp, 'deps' | 'clock'>, opts: AccountOptions = {}): Promise<TotpAccount> {
  const { id, email } = await createAccount(t, opts)
  const { sessionId } = await issueTestSession(t, id)
  const caller = { accountId: id, sessionId }
  const { secret } = await enrolTotp(t.deps, caller, opts.password ?? STRONG_PASSWORD, INJECT_META)
  const { recoveryCodes, sessionToken } = await confirmTotp(t.deps, caller, await totpNow(t, secret), INJECT_META)
  t.clock.advance(30)
  return { id, email, session: `${SESSION_COOKIE}=${sessionToken}`, secret, recoveryCodes }
}

/** The code of `secret` for the test clock's current step, or `offsetSteps` steps away. */
export async function totpNow(t: Pick<TestApp, 'clock'>, secret: string, offsetSteps = 0): Promise<string> {
  return referenceTotpForStep(secret, stepAt(t.clock.now()) + offsetSteps)
}

/** A six-digit code that is not the current one of `secret`. */
export async function wrongTotp(t: Pick<TestApp, 'clock'>, secret: string): Promise<string> {
  return (await totpNow(t, secret)) === '000000' ? '999999' : '000000'
}
