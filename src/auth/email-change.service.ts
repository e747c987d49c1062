// Changing the sign-in address (OWASP ASVS 5.0 V7.5.1, V6.4; docs/decisions/0044). Invariants:
// - the request needs full re-authentication (password, and a code when TOTP is on);
// - the token is single use, 32 CSPRNG bytes stored as SHA-256, bound to (account, new address),
//   lives 1 hour, and a newer request voids it; it goes to the new address only;
// - the old address gets a notice naming the way to stop it (a password reset voids the token);
// - nothing changes until confirmation, which needs a signed-in session of the same account; the
//   address is checked again there (409 email_taken, to the token holder only);
// - the request answers alike whether the new address is free or taken (no enumeration): a taken
//   address gets no link, its holder a notice; every request voids the account's pending link, in
//   every branch, so whether an older link still works tells nothing either; an address held only
//   by an unverified account counts as free (the link proves the mailbox; confirming takes it over);
// - on confirmation every other session and pending MFA login ends, pending mail tokens die, the
//   old address is told, and an audit event is written, all in one transaction.
import { recordEvent, type RequestMeta } from '../audit/audit.service.js'
import { AccountErrors, findAccountByEmail, findAccountById, replaceEmail, withinMailQuota } from '../accounts/accounts.service.js'
import { isUniqueViolation } from '../db/pg-errors.js'
import type { Deps } from '../deps.js'
import { CommonErrors } from '../errors.js'
import { normalizeEmail } from '../mail/address.js'
import { enqueueMail } from '../mail/outbox.js'
import { mailContext, mails } from '../mail/templates.js'
import { endMfaChallenges, reauthenticate } from '../mfa/mfa.service.js'
import { consumeOneTimeToken, issueOneTimeToken, peekBoundToken, voidOneTimeTokens } from '../one-time-tokens/one-time-tokens.service.js'
import { revokeAllSessions } from '../sessions/sessions.service.js'

export interface EmailChangeInput {
  accountId: string
  newEmail: string
  password: string
  code?: string | undefined
}

/** Starts a change of address. Throws only for the re-authentication (401, 429); else the caller answers 202. */
export async function requestEmailChange(deps: Deps, input: EmailChangeInput, meta: RequestMeta): Promise<void> {
  await reauthenticate(deps, input.accountId, { password: input.password, code: input.code }, meta)
  const newEmail = normalizeEmail(input.newEmail)
  const now = deps.clock.now()
  const ctx = mailContext(deps.config)
  await deps.db.transaction().execute(async (trx) => {
    const account = await findAccountById(trx, input.accountId)
    if (account === undefined) throw CommonErrors.unauthenticated()
    // A newer request voids the older link whatever happens next (free, taken, past the mail cap):
    // voided only when a new link went out, a still-working link told that the address was taken.
    await voidOneTimeTokens(trx, account.id, now, 'email_change')
    const holder = await findAccountByEmail(trx, newEmail)
    // An unverified holder never proved the mailbox: the link goes there as to a free address, and
    // confirming it takes the address over (replaceEmail), instead of the owner waiting for expiry.
    if (holder === undefined || (holder.id !== account.id && holder.email_verified_at === null)) {
      // The link goes out within the unsolicited-mail cap of the new address.
      if (await withinMailQuota(deps, trx, newEmail, now)) {
        // Voided above already, in every branch alike: the free address does no extra write.
        const token = await issueOneTimeToken(trx, account.id, 'email_change', now, { boundEmail: newEmail, earlier: 'keep' })
        await enqueueMail(trx, mails.confirmEmailChange(ctx, newEmail, token), now)
      }
    } else if (holder.id !== account.id && (await withinMailQuota(deps, trx, holder.email, now))) {
      await enqueueMail(trx, mails.addressInUse(ctx, holder.email), now)
    }
    // The old address hears about every request, taken or free, so its answer tells nothing either.
    await enqueueMail(trx, mails.emailChangeRequested(ctx, account.email, newEmail), now)
    await recordEvent(trx, { type: 'email.change_requested', accountId: account.id, meta, at: now })
  })
}

/**
 * Completes a change with the mailed token, for the signed-in account it was made for. Throws
 * 400 invalid_token (unknown, used, expired, or another account's: that one stays usable) and
 * 409 email_taken when the address was taken meanwhile (nothing changes, the token stays).
 */
export async function confirmEmailChange(deps: Deps, input: { accountId: string; sessionId: string; token: string }, meta: RequestMeta): Promise<void> {
  const now = deps.clock.now()
  const bound = await peekBoundToken(deps.db, input.token, 'email_change', now)
  if (bound === null || bound.accountId !== input.accountId || bound.boundEmail === null) throw AccountErrors.invalidToken()
  const newEmail = bound.boundEmail
  const ctx = mailContext(deps.config)
  try {
    await deps.db.transaction().execute(async (trx) => {
      // Consume inside the transaction: of two parallel confirmations, exactly one wins.
      if ((await consumeOneTimeToken(trx, input.token, 'email_change', now)) !== input.accountId) throw AccountErrors.invalidToken()
      const account = await findAccountById(trx, input.accountId)
      if (account === undefined) throw CommonErrors.unauthenticated()
      await replaceEmail(trx, input.accountId, newEmail, now, meta)
      await revokeAllSessions(trx, input.accountId, input.sessionId)
      await endMfaChallenges(trx, input.accountId)
      // Links already mailed to the old address (reset, verification) must not outlive it.
      await voidOneTimeTokens(trx, input.accountId, now)
      const detail = `The account now signs in as ${newEmail}; this address no longer opens it. Every other session was signed out.`
      await enqueueMail(trx, mails.notice(ctx, account.email, 'Your sign-in address was changed', detail), now)
      await enqueueMail(trx, mails.notice(ctx, newEmail, 'This is now your sign-in address', 'Every other session was signed out.'), now)
      await recordEvent(trx, { type: 'email.changed', accountId: input.accountId, meta, at: now })
    })
  } catch (err) {
    // Two accounts confirming the same address at once: the unique index decides, the loser gets 409.
    if (isUniqueViolation(err, 'accounts_email_key')) throw AccountErrors.emailTaken()
    throw err
  }
}
