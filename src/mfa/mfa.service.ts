// TOTP second factor: enrolment, recovery codes, and the second step of a login. Invariants:
// - the TOTP seed is stored only sealed (src/crypto/aead.ts) and bound to `totp:<accountId>`; it is
//   shown once, at enrolment; recovery codes are shown once and stored as SHA-256 hashes;
// - a TOTP code is accepted only if its step is above the last accepted one, moved forward by one
//   compare-and-set UPDATE (RFC 6238 §5.2): the same code sent twice, even in parallel, wins once;
// - wrong codes count per pending login (5, then it ends) and per account across pending logins,
//   in a window and in a consecutive-failure streak that only a success or a password reset clears;
// - factor changes need full re-authentication (reauthenticate()); a pending enrolment is confirmed
//   only by the session that started it, for exactly the secret it showed, and that session's token
//   is re-issued;
// - turning MFA on or off and new recovery codes write a security event and mail the owner in the
//   same transaction as the change. Codes, seeds and tokens never reach a log or an event.
import QRCode from 'qrcode'
import { recordEvent, type RequestMeta } from '../audit/audit.service.js'
import { accountEmail, verifyAccountPassword } from '../accounts/accounts.service.js'
import { open, seal } from '../crypto/aead.js'
import { sha256 } from '../crypto/hash.js'
import { randomToken } from '../crypto/random.js'
import type { Db } from '../db/db.js'
import type { Deps } from '../deps.js'
import { CommonErrors } from '../errors.js'
import { enqueueMail } from '../mail/outbox.js'
import { rotateSessionToken } from '../sessions/sessions.service.js'
import { mailContext, mails } from '../mail/templates.js'
import {
  codeFailed,
  codeSucceeded,
  passwordFailed,
  passwordNotChecked,
  passwordSucceeded,
  reserveCodeAttempt,
  reservePasswordAttempt,
} from '../throttle/failure-streaks.service.js'
import { refuseThrottled, releaseAttempt, reserveAttempt, type ThrottleRule } from '../throttle/throttle.service.js'
import { MfaErrors } from './mfa.errors.js'
import * as repo from './mfa.repo.js'
import { generateRecoveryCodes, hashRecoveryCode, hashShownRecoveryCode, normalizeRecoveryCode } from './recovery-codes.js'
import { generateTotpSecret, matchTotpStep, totpUri } from './totp.js'

/** Lifetime of a pending login waiting for its second factor. */
export const MFA_CHALLENGE_TTL_SECONDS = 5 * 60
/** Wrong codes one pending login may take before it ends. */
export const MFA_CHALLENGE_MAX_ATTEMPTS = 5
const CHALLENGE_TOKEN_BYTES = 32
const CHALLENGE_TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/
const TOTP_CODE_SHAPE = /^[0-9]{6}$/

export type SecondFactorMethod = 'totp' | 'recovery_code'

/** Full re-authentication: the password, and a TOTP or recovery code when TOTP is on. */
export interface ReauthInput {
  password: string
  code?: string | undefined
}

export interface TotpEnrolment {
  secret: string
  otpauthUrl: string
  qrSvg: string
}

/** The binding context of an account's sealed TOTP secret: a ciphertext opens only on its own row. */
export const totpContext = (accountId: string): string => `totp:${accountId}`

/** Wrong codes count per account across pending logins (NIST SP 800-63B-4 §3.2.2, ASVS V6.6.3). */
function accountRule(deps: Pick<Deps, 'config'>, accountId: string): ThrottleRule {
  const { loginMaxFailuresPerAccount: limit, loginFailureWindowSeconds: windowSeconds } = deps.config.auth
  return { key: `mfa:acct:${accountId}`, limit, windowSeconds }
}

/**
 * Reserves an attempt (429 when over the limit), runs `check`, and gives the attempt back on success.
 * A code of the account's confirmed factor (`streak`) also counts on its consecutive-failure streak:
 * 429 past the cap, cleared by a success, the owner mailed on repeated failures (failure-streaks.service.ts).
 */
async function throttled<T>(deps: Deps, accountId: string, now: Date, meta: RequestMeta, check: () => Promise<T | null>, streak = true): Promise<T | null> {
  const rule = accountRule(deps, accountId)
  const reservation = await reserveAttempt(deps, rule, now)
  if (!reservation.allowed) await refuseThrottled(deps, reservation, { accountId, meta, at: now, details: { factor: 'totp' } })
  const counted = streak ? await reserveCodeAttempt(deps, accountId, meta) : null
  const result = await check()
  if (result !== null) {
    await releaseAttempt(deps, rule.key)
    if (counted !== null) await codeSucceeded(deps, accountId)
  } else if (counted !== null) {
    const email = await accountEmail(deps.db, accountId)
    await codeFailed(deps, counted, email === undefined ? undefined : { id: accountId, email }, meta)
  }
  return result
}

async function notifyOwner(deps: Deps, db: Db, accountId: string, what: string, detail: string, now: Date): Promise<void> {
  const email = await accountEmail(db, accountId)
  if (email !== undefined) await enqueueMail(db, mails.notice(mailContext(deps.config), email, what, detail), now)
}

async function openSecret(deps: Deps, accountId: string, ciphertext: string): Promise<string> {
  return (await open(deps.config.keys.data, ciphertext, totpContext(accountId))).toString('utf8')
}

async function failedCode(deps: Deps, accountId: string, meta: RequestMeta, now: Date, details: Record<string, string | number>): Promise<never> {
  await recordEvent(deps.db, { type: 'mfa.failed', accountId, meta, at: now, details })
  throw MfaErrors.invalidCode()
}

/** True when the account has a confirmed TOTP factor (a login must then ask for a code). */
export async function hasConfirmedTotp(db: Db, accountId: string): Promise<boolean> {
  return repo.hasConfirmedFactor(db, accountId)
}

/** Who asks for a factor change: the account and the session it came through. */
export interface SessionCaller {
  accountId: string
  sessionId: string
}

/**
 * Starts (or restarts) an enrolment after a password re-check: a new secret, pending until this
 * same session confirms it. 409 when MFA is on, 401 invalid_credentials for a wrong password.
 */
export async function enrolTotp(deps: Deps, caller: SessionCaller, password: string, meta: RequestMeta): Promise<TotpEnrolment> {
  const { accountId } = caller
  if (await repo.hasConfirmedFactor(deps.db, accountId)) throw MfaErrors.alreadyEnabled()
  await reauthenticate(deps, accountId, { password }, meta)
  const email = await accountEmail(deps.db, accountId)
  if (email === undefined) throw CommonErrors.unauthenticated()
  const secret = generateTotpSecret()
  const sealed = await seal(deps.config.keys.data, secret, totpContext(accountId))
  const now = deps.clock.now()
  await deps.db.transaction().execute(async (trx) => {
    if (!(await repo.upsertPendingFactor(trx, accountId, sealed, caller.sessionId, now))) throw MfaErrors.alreadyEnabled()
    await recordEvent(trx, { type: 'mfa.totp_enrolment_started', accountId, meta, at: now })
    await notifyOwner(
      deps,
      trx,
      accountId,
      'Set-up of two-factor sign-in was started',
      'It is not on until a code from the authenticator app confirms it.',
      now,
    )
  })
  const otpauthUrl = totpUri({ issuer: deps.config.appName, account: email, secret })
  const qrSvg = await QRCode.toString(otpauthUrl, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 })
  return { secret, otpauthUrl, qrSvg }
}

/**
 * Confirms this session's pending enrolment with a code of exactly the secret it was shown
 * (compare-and-set on the sealed secret), and re-issues the session's token, since it just gained
 * a factor. Returns the recovery codes (shown this once) and the new session token.
 * 409 totp_not_pending when this session has no pending enrolment; 401 invalid_code.
 */
export async function confirmTotp(
  deps: Deps,
  caller: SessionCaller,
  code: string,
  meta: RequestMeta,
): Promise<{ recoveryCodes: string[]; sessionToken: string }> {
  const { accountId, sessionId } = caller
  const now = deps.clock.now()
  const factor = await repo.findFactor(deps.db, accountId)
  if (factor === undefined) throw MfaErrors.notPending()
  if (factor.confirmed_at !== null) throw MfaErrors.alreadyEnabled()
  // Another session's enrolment is not this one's to confirm (it never saw that secret).
  if (factor.pending_session_id !== sessionId) throw MfaErrors.notPending()
  const confirmed = await throttled(
    deps,
    accountId,
    now,
    meta,
    async () => {
      const step = TOTP_CODE_SHAPE.test(code) ? await matchTotpStep(await openSecret(deps, accountId, factor.secret_ciphertext), code, now) : null
      if (step === null) return null
      return deps.db.transaction().execute(async (trx) => {
        const expected = { secretCiphertext: factor.secret_ciphertext, sessionId, step }
        if (!(await repo.confirmPendingFactor(trx, accountId, expected, now))) return null
        // This session has just proved the new factor: it counts as a multi-factor sign-in from now on (decision 0101).
        const sessionToken = await rotateSessionToken(trx, accountId, sessionId, { multiFactor: true })
        if (sessionToken === null) throw CommonErrors.unauthenticated() // the session ended meanwhile: roll back
        const fresh = generateRecoveryCodes()
        await repo.replaceRecoveryCodes(trx, accountId, fresh.map(hashShownRecoveryCode), now)
        await recordEvent(trx, { type: 'mfa.totp_enabled', accountId, meta, at: now })
        await notifyOwner(deps, trx, accountId, 'Two-factor sign-in was turned on', 'Keep your recovery codes somewhere safe.', now)
        return { recoveryCodes: fresh, sessionToken }
      })
    },
    false,
  ) // a code of a factor not yet on: the window limits it, the factor's streak does not
  return confirmed ?? failedCode(deps, accountId, meta, now, { during: 'enrolment' })
}

/** Replaces the recovery codes after full re-authentication (password and code); the old set stops working. */
export async function regenerateRecoveryCodes(deps: Deps, accountId: string, input: ReauthInput, meta: RequestMeta): Promise<string[]> {
  if (!(await repo.hasConfirmedFactor(deps.db, accountId))) throw MfaErrors.notEnabled()
  await reauthenticate(deps, accountId, input, meta)
  const now = deps.clock.now()
  const fresh = generateRecoveryCodes()
  await deps.db.transaction().execute(async (trx) => {
    if (!(await repo.hasConfirmedFactor(trx, accountId))) throw MfaErrors.notEnabled()
    await repo.replaceRecoveryCodes(trx, accountId, fresh.map(hashShownRecoveryCode), now)
    await recordEvent(trx, { type: 'mfa.recovery_codes_regenerated', accountId, meta, at: now })
    await notifyOwner(deps, trx, accountId, 'New recovery codes were made', 'The previous recovery codes no longer work.', now)
  })
  return fresh
}

/**
 * The account's other second factors (its passkeys: a feature above this one), counted with their
 * rows held until `db`'s transaction ends, so none can go while TOTP is turned off (src/app.ts wires it).
 */
export type HoldOtherFactors = (db: Db, accountId: string) => Promise<number>

/**
 * Turns TOTP off (or drops a pending enrolment) after full re-authentication (password, and a code
 * when on). Under MFA_REQUIRED only while another second factor stays: 409 mfa_required otherwise.
 */
export async function disableTotp(deps: Deps, accountId: string, input: ReauthInput, meta: RequestMeta, otherFactors: HoldOtherFactors): Promise<void> {
  if ((await repo.findFactor(deps.db, accountId)) === undefined) throw MfaErrors.notEnabled()
  // Refused before re-authentication where nothing could change the answer; checked again below under locks.
  if (deps.config.auth.mfaRequired && (await otherFactors(deps.db, accountId)) === 0) throw MfaErrors.requiredByPolicy()
  await reauthenticate(deps, accountId, input, meta)
  const now = deps.clock.now()
  await deps.db.transaction().execute(async (trx) => {
    const others = await otherFactors(trx, accountId)
    if (deps.config.auth.mfaRequired && others === 0) throw MfaErrors.requiredByPolicy()
    const wasOn = await repo.hasConfirmedFactor(trx, accountId)
    if (!(await repo.deleteFactor(trx, accountId))) throw MfaErrors.notEnabled()
    await repo.deleteRecoveryCodes(trx, accountId)
    await repo.deleteChallengesForAccount(trx, accountId)
    if (!wasOn) return
    await recordEvent(trx, { type: 'mfa.totp_disabled', accountId, meta, at: now })
    const left = others > 0 ? 'Your passkeys still sign in as a second factor.' : 'Your account is now protected by the password alone.'
    await notifyOwner(deps, trx, accountId, 'Two-factor sign-in was turned off', left, now)
  })
}

/**
 * Opens a pending login for an account whose password was right and whose TOTP is on. Returns the
 * token for the pending cookie (only its SHA-256 is stored); it lives MFA_CHALLENGE_TTL_SECONDS.
 */
export async function startMfaChallenge(deps: Pick<Deps, 'clock'>, db: Db, accountId: string): Promise<{ token: string; expiresAt: Date }> {
  const now = deps.clock.now()
  const token = randomToken(CHALLENGE_TOKEN_BYTES)
  const expiresAt = new Date(now.getTime() + MFA_CHALLENGE_TTL_SECONDS * 1000)
  await repo.insertChallenge(db, { account_id: accountId, token_hash: sha256(token), created_at: now, expires_at: expiresAt })
  return { token, expiresAt }
}

/** Ends every pending login of the account (password reset, account changes). Returns how many. */
export async function endMfaChallenges(db: Db, accountId: string): Promise<number> {
  return repo.deleteChallengesForAccount(db, accountId)
}

/** The account a pending login belongs to (no attempt counted), or null when it is unknown or expired. */
export async function pendingLoginAccount(deps: Pick<Deps, 'db' | 'clock'>, token: string): Promise<string | null> {
  if (!CHALLENGE_TOKEN_SHAPE.test(token)) return null
  return (await repo.findChallengeAccount(deps.db, sha256(token), deps.clock.now())) ?? null
}

/**
 * Removes the TOTP factor, its recovery codes and pending logins, within the caller's transaction,
 * when the mailbox owner takes over an address someone else registered first and never verified:
 * that person's second factor must not lock the owner out (docs/decisions/0041). True when one existed.
 */
export async function removeUnprovenSecondFactor(db: Db, accountId: string): Promise<boolean> {
  const had = await repo.deleteFactor(db, accountId)
  await repo.deleteRecoveryCodes(db, accountId)
  await repo.deleteChallengesForAccount(db, accountId)
  return had
}

class SpendRefused extends Error {}
class ChallengeGone extends Error {}

/** Spends a TOTP code (compare-and-set on its step) or an unused recovery code, within `db`. */
async function spendCode(deps: Deps, db: Db, accountId: string, code: string, now: Date): Promise<SecondFactorMethod | null> {
  const factor = await repo.findFactor(db, accountId)
  if (factor === undefined || factor.confirmed_at === null) return null
  // Authenticator apps show "123 456"; a pasted space must not turn a TOTP code into a recovery code.
  const digits = code.replace(/\s/g, '')
  if (TOTP_CODE_SHAPE.test(digits)) {
    const step = await matchTotpStep(await openSecret(deps, accountId, factor.secret_ciphertext), digits, now)
    return step !== null && (await repo.advanceLastUsedStep(db, accountId, step)) ? 'totp' : null
  }
  const canonical = normalizeRecoveryCode(code)
  if (canonical === null) return null
  return (await repo.spendRecoveryCode(db, accountId, hashRecoveryCode(canonical), now)) ? 'recovery_code' : null
}

/**
 * Full re-authentication before a change to how the account signs in (OWASP ASVS 5.0 V7.5.1): the
 * password, and a current TOTP or recovery code when TOTP is on. Password and code attempts count
 * against the account like logins. Throws 401 invalid_credentials for a wrong password or code,
 * 401 mfa_code_required when TOTP is on and no code came, 429 rate_limited when throttled.
 * A TOTP code spent here cannot be replayed (its step moves forward); a recovery code is used up.
 */
export async function reauthenticate(deps: Deps, accountId: string, input: ReauthInput, meta: RequestMeta): Promise<void> {
  const now = deps.clock.now()
  const email = await accountEmail(deps.db, accountId)
  if (email === undefined) throw CommonErrors.unauthenticated()
  // The password's consecutive-failure streak is the login's: re-checks and logins count together.
  const streak = await reservePasswordAttempt(deps, email, accountId, meta)
  let passwordOk: boolean
  try {
    passwordOk = await verifyAccountPassword(deps, accountId, input.password)
  } catch (err) {
    await passwordNotChecked(deps, email) // refused by the window first: not a failure of the password
    throw err
  }
  if (!passwordOk) {
    await passwordFailed(deps, streak, { id: accountId, email }, meta)
    await recordEvent(deps.db, { type: 'reauth.failed', accountId, meta, at: now, details: { factor: 'password' } })
    throw MfaErrors.reauthFailed()
  }
  await passwordSucceeded(deps, email)
  if (!(await repo.hasConfirmedFactor(deps.db, accountId))) return
  const code = input.code
  if (code === undefined || code === '') throw MfaErrors.codeRequired()
  const spent = await throttled(deps, accountId, now, meta, () => spendCode(deps, deps.db, accountId, code, now))
  if (spent !== null) return
  await recordEvent(deps.db, { type: 'reauth.failed', accountId, meta, at: now, details: { factor: 'code' } })
  throw MfaErrors.reauthFailed()
}

/**
 * Completes a pending login with a TOTP or recovery code. Returns the account to open a session for.
 * Throws 401 unauthenticated for an unknown, expired or used-up pending login, 401 invalid_code for
 * a wrong, old or reused code, and 429 rate_limited (Retry-After) when the account saw too many.
 */
export async function completeMfaChallenge(
  deps: Deps,
  token: string,
  code: string,
  meta: RequestMeta,
): Promise<{ accountId: string; method: SecondFactorMethod }> {
  const now = deps.clock.now()
  if (!CHALLENGE_TOKEN_SHAPE.test(token)) throw MfaErrors.challengeInvalid()
  // Counted before the code is checked, so parallel guesses each use up one attempt.
  const attempt = await repo.reserveChallengeAttempt(deps.db, sha256(token), now, MFA_CHALLENGE_MAX_ATTEMPTS)
  if (attempt === undefined) throw MfaErrors.challengeInvalid()
  const accountId = attempt.account_id
  const method = await throttled(deps, accountId, now, meta, async () => {
    try {
      return await deps.db.transaction().execute(async (trx) => {
        // Removing the pending login first makes it single-use: a parallel completion waits here, then finds nothing.
        if (!(await repo.deleteChallenge(trx, attempt.id))) throw new ChallengeGone()
        const spent = await spendCode(deps, trx, accountId, code, now)
        if (spent === null) throw new SpendRefused() // rolls the deletion back
        if (spent === 'recovery_code') {
          const left = await repo.countUnusedRecoveryCodes(trx, accountId)
          await recordEvent(trx, { type: 'mfa.recovery_code_used', accountId, meta, at: now, details: { remaining: left } })
          await notifyOwner(deps, trx, accountId, 'A recovery code was used to sign in', `${left} unused recovery codes remain.`, now)
        }
        return spent
      })
    } catch (err) {
      if (err instanceof SpendRefused) return null
      if (err instanceof ChallengeGone) throw MfaErrors.challengeInvalid()
      throw err
    }
  })
  if (method !== null) return { accountId, method }
  if (attempt.failures >= MFA_CHALLENGE_MAX_ATTEMPTS) await repo.deleteChallenge(deps.db, attempt.id)
  return failedCode(deps, accountId, meta, now, { during: 'login', attempt: attempt.failures })
}

/** Removes pending logins past their expiry (housekeeping). */
export async function deleteExpiredMfaChallenges(deps: Pick<Deps, 'db' | 'clock'>): Promise<void> {
  await repo.deleteExpiredChallenges(deps.db, deps.clock.now())
}
