// Password reset (OWASP ASVS 5.0 V6.4). Invariants:
// - the request answers 202 for any email; only an existing account gets a mail;
// - the token is single use, lives at most 1 hour, and a newer one voids it;
// - a refused new password (422) leaves the token usable;
// - success ends every session, pending MFA login and API token of the account (account-access.ts),
//   voids every pending mail token (so pending address changes die), marks the address verified,
//   and never signs anyone in;
// - it keeps the second factor of a verified account (the next login still asks for it); on an
//   address that was never verified, the reset is the mailbox owner taking the address from
//   whoever registered it first, so that person's second factor goes too (docs/decisions/0041).
import { recordEvent, type RequestMeta } from '../audit/audit.service.js'
import {
  AccountErrors,
  assertAcceptablePassword,
  findAccountByEmail,
  findAccountById,
  markEmailVerified,
  setPasswordHash,
} from '../accounts/accounts.service.js'
import { normalizePassword } from '../accounts/password-policy.js'
import type { Deps } from '../deps.js'
import { normalizeEmail } from '../mail/address.js'
import { enqueueMail } from '../mail/outbox.js'
import { mailContext, mails } from '../mail/templates.js'
import { removeUnprovenSecondFactor } from '../mfa/mfa.service.js'
import { consumeOneTimeToken, issueOneTimeToken, peekOneTimeToken, voidOneTimeTokens } from '../one-time-tokens/one-time-tokens.service.js'
import { clearFailureStreaks } from '../throttle/failure-streaks.service.js'
import { accountKey, reserveAttempt } from '../throttle/throttle.service.js'
import { ENDED_ACCESS_TEXT, endAllAccess } from './account-access.js'

// At most this many reset mails per address per hour, so the form cannot be used to mail-bomb.
const RESET_MAILS_PER_HOUR = 3

/**
 * The least time a reset request takes to answer. A known address writes a token, a mail and an
 * audit row, an unknown one nothing: about 7 ms apart on a quiet machine (found by a scan), a weak
 * oracle of who has an account. Both answer at this floor (OWASP ASVS 5.0 V6.3.8: no enumeration
 * by status, body or response time; CS-FORGOT-1).
 */
export const RESET_ANSWER_FLOOR_MS = 100

/** requestPasswordReset, answering no sooner than RESET_ANSWER_FLOOR_MS after it started. */
export async function requestPasswordResetAtFloor(deps: Deps, emailInput: string, meta: RequestMeta): Promise<void> {
  const started = performance.now()
  await requestPasswordReset(deps, emailInput, meta)
  const left = RESET_ANSWER_FLOOR_MS - (performance.now() - started)
  if (left > 0) await new Promise((resolve) => setTimeout(resolve, left))
}

export async function requestPasswordReset(deps: Deps, emailInput: string, meta: RequestMeta): Promise<void> {
  const email = normalizeEmail(emailInput)
  const now = deps.clock.now()
  const quota = await reserveAttempt(deps, { key: accountKey('reset', email), limit: RESET_MAILS_PER_HOUR, windowSeconds: 3600 }, now)
  if (!quota.allowed) return // same 202: the caller learns nothing
  await deps.db.transaction().execute(async (trx) => {
    const account = await findAccountByEmail(trx, email)
    if (account === undefined) return
    const token = await issueOneTimeToken(trx, account.id, 'password_reset', now)
    await enqueueMail(trx, mails.passwordReset(mailContext(deps.config), account.email, token), now)
    await recordEvent(trx, { type: 'password.reset_requested', accountId: account.id, meta, at: now })
  })
}

/** Sets the new password; throws 400 invalid_token or 422 weak_password (token still usable). */
export async function confirmPasswordReset(deps: Deps, input: { token: string; newPassword: string }, meta: RequestMeta): Promise<void> {
  const now = deps.clock.now()
  const accountId = await peekOneTimeToken(deps.db, input.token, 'password_reset', now)
  const account = accountId === null ? undefined : await findAccountById(deps.db, accountId)
  if (account === undefined) throw AccountErrors.invalidToken()
  await assertAcceptablePassword(deps, input.newPassword, account.email)
  const hash = await deps.hasher.hash(normalizePassword(input.newPassword))
  await deps.db.transaction().execute(async (trx) => {
    // Consume inside the transaction: of two parallel confirmations, exactly one wins.
    if ((await consumeOneTimeToken(trx, input.token, 'password_reset', now)) !== account.id) throw AccountErrors.invalidToken()
    await setPasswordHash(trx, account.id, hash, now, true)
    // Read under the row lock the update took: was the address ever proven?
    const unproven = (await findAccountById(trx, account.id))?.email_verified_at === null
    const ended = await endAllAccess(trx, account.id, now)
    const secondFactorRemoved = unproven && (await removeUnprovenSecondFactor(trx, account.id))
    await voidOneTimeTokens(trx, account.id, now)
    // Proof of control of the mailbox: a reset also verifies the address.
    await markEmailVerified(trx, account.id, now)
    const detail = secondFactorRemoved ? `${ENDED_ACCESS_TEXT} The two-factor sign-in set up before the address was confirmed was removed.` : ENDED_ACCESS_TEXT
    await enqueueMail(trx, mails.notice(mailContext(deps.config), account.email, 'Your password was reset', detail), now)
    await recordEvent(trx, {
      type: 'password.reset',
      accountId: account.id,
      meta,
      at: now,
      details: { ...ended, claimedUnverified: unproven, secondFactorRemoved },
    })
  })
  // The way out past the consecutive-failure cap (docs/decisions/0045), once the reset committed.
  await clearFailureStreaks(deps, account)
}
