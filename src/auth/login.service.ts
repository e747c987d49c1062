// Password login (OWASP ASVS 5.0 V6.3, NIST SP 800-63B-4 §3.2.2). Invariants:
// - an unknown email and a wrong password give the same error after the same work (a dummy
//   argon2 verify stands in for the missing account);
// - failures are counted per email and per client address before the password is checked, with
//   one atomic upsert each, so parallel guesses all count; past the limit even the right password
//   gets 429 until the window ends, and the answer never tells whether the account exists;
// - a correct password yields a brand-new session token (no fixation), or a pending MFA challenge;
// - the session (or pending login) is issued in a transaction that locks the account row and checks
//   the credentials version the password was verified against, so a login racing a password change,
//   reset or compromise flag leaves nothing live (docs/decisions/0043); a rehash writes only over
//   the hash it verified.
import { recordEvent, type RequestMeta } from '../audit/audit.service.js'
import { credentialsVersion, findCredentialsByEmail, lockCredentials, rehashPasswordIfUnchanged, resendVerification } from '../accounts/accounts.service.js'
import { isBreached } from '../accounts/breach-check.js'
import { lengthProblem, normalizePassword } from '../accounts/password-policy.js'
import type { HeldPlace } from '../crypto/password.js'
import type { Db } from '../db/db.js'
import type { Deps } from '../deps.js'
import { AppError } from '../errors.js'
import { normalizeEmail } from '../mail/address.js'
import { completeMfaChallenge, hasConfirmedTotp, pendingLoginAccount, startMfaChallenge } from '../mfa/mfa.service.js'
import { PasskeyErrors } from '../passkeys/passkeys.errors.js'
import { hasPasskey } from '../passkeys/passkeys.service.js'
import { issueSession } from '../sessions/sessions.service.js'
import { ipKey, loginWindowKey, refuseThrottled, releaseAttempt, reserveAll, type ThrottleRule } from '../throttle/throttle.service.js'
import { passwordFailed, passwordSucceeded, refuseRememberedPasswordCap, reservePasswordAttempt } from '../throttle/failure-streaks.service.js'
import { noteDevice } from './new-device.js'
import { CompromiseErrors, requirePasswordChange, sendChangeLink } from './password-compromise.service.js'

export const LoginErrors = {
  invalidCredentials: () => new AppError('invalid_credentials', 401, 'Email or password is incorrect'),
  emailNotVerified: () => new AppError('email_not_verified', 403, 'Confirm your email with the link we mailed you; a new one is sent at most 3 times an hour'),
} as const

export type LoginResult = { kind: 'session'; accountId: string; token: string; sessionId: string } | { kind: 'mfa'; accountId: string; pendingToken: string }

export function loginThrottleRules(deps: Deps, email: string, ip: string): ThrottleRule[] {
  const { loginMaxFailuresPerAccount, loginMaxFailuresPerIp, loginFailureWindowSeconds } = deps.config.auth
  return [
    { key: loginWindowKey(email), limit: loginMaxFailuresPerAccount, windowSeconds: loginFailureWindowSeconds },
    { key: ipKey('login', ip), limit: loginMaxFailuresPerIp, windowSeconds: loginFailureWindowSeconds },
  ]
}

/** Checks email and password; throws 401, 403 email_not_verified, 429 or 503 (hashing queue full). */
export async function login(deps: Deps, input: { email: string; password: string }, meta: RequestMeta): Promise<LoginResult> {
  // Past the hashing queue: 503 + Retry-After at once, before any counter or database write. The
  // place is held from here to the hash, so a burst larger than the queue never reaches the counters
  // (unchecked guesses must not lock the owner out) nor the database.
  const place = deps.hasher.holdPlace()
  try {
    return await checkPassword(deps, input, meta, place)
  } finally {
    place.release()
  }
}

async function checkPassword(deps: Deps, input: { email: string; password: string }, meta: RequestMeta, place: HeldPlace): Promise<LoginResult> {
  const email = normalizeEmail(input.email)
  // A limit this process saw refused moments ago answers 429 again with no round trip (decision 0096).
  refuseRememberedPasswordCap(deps, email)
  const rules = loginThrottleRules(deps, email, meta.ip)
  const reservation = await reserveAll(deps, rules, deps.clock.now())
  if (!reservation.allowed) await refuseThrottled(deps, reservation, { accountId: null, meta, at: deps.clock.now() })

  const account = await findCredentialsByEmail(deps.db, email)
  // The consecutive-failure cap (no window; keyed by the address, known or not): docs/decisions/0045.
  const streak = await reservePasswordAttempt(deps, email, account?.id ?? null, meta)
  const password = normalizePassword(input.password)
  // An oversized password is refused unhashed; it cannot be anyone's password.
  const tooLong = lengthProblem(input.password, deps.config.passwords) === 'too_long'
  const valid = tooLong ? false : await deps.hasher.verify(account?.password_hash ?? (await deps.hasher.dummyHash()), password, place)
  if (account === undefined || !valid) {
    await passwordFailed(deps, streak, account, meta)
    await recordEvent(deps.db, { type: 'login.failed', accountId: account?.id ?? null, meta, at: deps.clock.now() })
    throw LoginErrors.invalidCredentials()
  }
  for (const rule of rules) await releaseAttempt(deps, rule.key)
  await passwordSucceeded(deps, email)

  // Parameters went up since this hash was made: upgrade it now that the password is known, but only
  // over the hash just verified (a change that landed meanwhile must not be overwritten).
  if (deps.hasher.needsRehash(account.password_hash)) {
    await rehashPasswordIfUnchanged(deps.db, account.id, account.password_hash, await deps.hasher.hash(password))
  }
  // Evidence of compromise: no session on this password; the way out is the mailed reset link.
  if (account.password_change_required_at !== null) {
    await sendChangeLink(deps, account.email, meta)
    throw CompromiseErrors.changeRequired()
  }
  if (deps.config.passwords.breachCheck.enabled && (await isBreached(password, deps.config.passwords.breachCheck))) {
    await requirePasswordChange(deps, account.id, 'breached', meta)
    throw CompromiseErrors.changeRequired()
  }
  if (deps.config.auth.requireVerifiedEmail && account.email_verified_at === null) {
    await resendVerification(deps, account.id, account.email)
    throw LoginErrors.emailNotVerified()
  }

  if (await hasConfirmedTotp(deps.db, account.id)) {
    const { token } = await deps.db.transaction().execute(async (trx) => {
      await assertCredentialsUnchanged(trx, account.id, account.credentials_version)
      return startMfaChallenge(deps, trx, account.id)
    })
    return { kind: 'mfa', accountId: account.id, pendingToken: token }
  }
  // MFA_REQUIRED and the only second factor is a passkey: the password alone opens nothing (decision 0060).
  if (deps.config.auth.mfaRequired && (await hasPasskey(deps.db, account.id))) throw PasskeyErrors.passkeyRequired()
  return completeLogin(deps, account.id, meta, 'password', account.credentials_version)
}

/** Locks the account row and throws 401 when its credentials changed since `version` was read. */
async function assertCredentialsUnchanged(trx: Db, accountId: string, version: number): Promise<void> {
  if ((await lockCredentials(trx, accountId)) !== version) throw LoginErrors.invalidCredentials()
}

/**
 * The second step of a login: spends the code on the pending login, then issues the session,
 * unless the credentials changed after the pending login was seen (the change also ended it).
 * Throws like completeMfaChallenge, and 401 invalid_credentials when the credentials moved.
 */
export async function completeMfaLogin(deps: Deps, pendingToken: string, code: string, meta: RequestMeta): Promise<LoginResult> {
  // Read the version while the pending login still exists: a change after this point either
  // deletes it (the code is then refused) or moves the version (the session is then refused).
  const seen = await pendingLoginAccount(deps, pendingToken)
  const version = seen === null ? undefined : await credentialsVersion(deps.db, seen)
  const { accountId, method } = await completeMfaChallenge(deps, pendingToken, code, meta)
  if (accountId !== seen || version === undefined) throw LoginErrors.invalidCredentials()
  return completeLogin(deps, accountId, meta, `password+${method}`, version)
}

/** Issues the session after every factor passed; records the event and the new-device notice. */
export async function completeLogin(deps: Deps, accountId: string, meta: RequestMeta, factors: string, expectedVersion: number): Promise<LoginResult> {
  const now = deps.clock.now()
  return deps.db.transaction().execute(async (trx) => {
    await assertCredentialsUnchanged(trx, accountId, expectedVersion)
    // Two factors: TOTP or a recovery code after the password, or a passkey with user verification (decision 0060).
    const { token, sessionId } = await issueSession(deps, trx, accountId, meta, factors !== 'password')
    await recordEvent(trx, { type: 'login.succeeded', accountId, meta, at: now, details: { factors } })
    await noteDevice(deps, trx, accountId, meta, sessionId)
    return { kind: 'session', accountId, token, sessionId }
  })
}
