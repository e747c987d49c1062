// Evidence-based password change instead of periodic expiry (NIST SP 800-63B-4 §3.1.1.2: no forced
// periodic change, but a change SHALL be forced on evidence of compromise; ASVS 5.0 V6.2.10).
// Evidence: an operator's report (npm run accounts:require-password-change) or, when HIBP_ENABLED,
// the password turning up in a breach at login. Effect: every session, pending MFA login and API
// token ends (docs/decisions/0042), the credentials version moves (a login racing the flag issues
// nothing), a notice and a reset link are mailed, and a correct password alone opens nothing until
// the password is changed.
import { findAccountById, flagPasswordChangeRequired } from '../accounts/accounts.service.js'
import { recordEvent, type RequestMeta } from '../audit/audit.service.js'
import type { Deps } from '../deps.js'
import { AppError } from '../errors.js'
import { enqueueMail } from '../mail/outbox.js'
import { mailContext, mails } from '../mail/templates.js'
import { voidOneTimeTokens } from '../one-time-tokens/one-time-tokens.service.js'
import { ENDED_ACCESS_TEXT, endAllAccess } from './account-access.js'
import { requestPasswordReset } from './password-reset.service.js'

export type CompromiseEvidence = 'operator' | 'breached'

export const CompromiseErrors = {
  changeRequired: () => new AppError('password_change_required', 403, 'This password must be changed; we sent a link to choose a new one'),
} as const

/** Flags the account, ends its sessions and mails a reset link. False when the account does not exist. */
export async function requirePasswordChange(deps: Deps, accountId: string, evidence: CompromiseEvidence, meta: RequestMeta | null): Promise<boolean> {
  const now = deps.clock.now()
  const account = await deps.db.transaction().execute(async (trx) => {
    if (!(await flagPasswordChangeRequired(trx, accountId, now))) return undefined
    const ended = await endAllAccess(trx, accountId, now)
    await voidOneTimeTokens(trx, accountId, now, 'email_change')
    await recordEvent(trx, { type: 'password.change_required', accountId, meta, at: now, details: { evidence, ...ended } })
    const account = await findAccountById(trx, accountId)
    const detail = `Your password may be known to someone else, so it must be changed before the account can be used again. ${ENDED_ACCESS_TEXT} We are sending a separate link to choose a new password.`
    if (account !== undefined) await enqueueMail(trx, mails.notice(mailContext(deps.config), account.email, 'Your password must be changed', detail), now)
    return account
  })
  if (account === undefined) return false
  await sendChangeLink(deps, account.email, meta)
  return true
}

/** Mails a reset link (within the reset quota), the way out for a flagged account. */
export async function sendChangeLink(deps: Deps, email: string, meta: RequestMeta | null): Promise<void> {
  await requestPasswordReset(deps, email, meta ?? { ip: 'operator', userAgent: null })
}
