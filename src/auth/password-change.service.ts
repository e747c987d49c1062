// Password change by the signed-in owner (OWASP ASVS 5.0 V6.2.3, V7.5.1; NIST SP 800-63B-4 §3.1.1.2).
// Invariants:
// - full re-authentication first: the current password, and a TOTP or recovery code when TOTP is on
//   (mfa.reauthenticate, which counts failures like logins);
// - one transaction moves the credentials version (a login that checked the old password cannot
//   issue a session afterwards), ends every other session and every pending MFA login, voids
//   pending reset links and address changes, re-issues the current session's token (the old one
//   stops working), records the event and mails the owner;
// - API tokens stay: the owner is signed in and sees them (docs/decisions/0042).
import { recordEvent, type RequestMeta } from '../audit/audit.service.js'
import { assertAcceptablePassword, credentialsVersion, findAccountById, lockCredentials, setPasswordHash } from '../accounts/accounts.service.js'
import { normalizePassword } from '../accounts/password-policy.js'
import type { Deps } from '../deps.js'
import { CommonErrors } from '../errors.js'
import { enqueueMail } from '../mail/outbox.js'
import { mailContext, mails } from '../mail/templates.js'
import { MfaErrors } from '../mfa/mfa.errors.js'
import { endMfaChallenges, reauthenticate } from '../mfa/mfa.service.js'
import { voidOneTimeTokens } from '../one-time-tokens/one-time-tokens.service.js'
import { revokeAllSessions, rotateSessionToken } from '../sessions/sessions.service.js'

export interface ChangePasswordInput {
  accountId: string
  sessionId: string
  currentPassword: string
  newPassword: string
  code?: string | undefined
}

/**
 * Changes the password and returns the current session's new token (set it as the cookie).
 * Throws 422 weak_password (checked first, so no code is spent on a refused password),
 * 401 invalid_credentials / mfa_code_required, 429 rate_limited.
 */
export async function changePassword(deps: Deps, input: ChangePasswordInput, meta: RequestMeta): Promise<{ token: string }> {
  const account = await findAccountById(deps.db, input.accountId)
  if (account === undefined) throw CommonErrors.unauthenticated()
  await assertAcceptablePassword(deps, input.newPassword, account.email)
  // The credentials as the re-check below sees them: a change that lands meanwhile (a parallel
  // change, a reset) makes this one refuse, as a login would (found by a scan: two parallel changes
  // both answered 204 and the last writer won).
  const version = await credentialsVersion(deps.db, input.accountId)
  await reauthenticate(deps, input.accountId, { password: input.currentPassword, code: input.code }, meta)
  const hash = await deps.hasher.hash(normalizePassword(input.newPassword))
  const now = deps.clock.now()
  return deps.db.transaction().execute(async (trx) => {
    if ((await lockCredentials(trx, input.accountId)) !== version) throw MfaErrors.reauthFailed()
    await setPasswordHash(trx, input.accountId, hash, now, true)
    const rotated = await rotateSessionToken(trx, input.accountId, input.sessionId)
    if (rotated === null) throw CommonErrors.unauthenticated() // the session ended meanwhile: change nothing
    await revokeAllSessions(trx, input.accountId, input.sessionId)
    await endMfaChallenges(trx, input.accountId)
    await voidOneTimeTokens(trx, input.accountId, now, 'password_reset')
    await voidOneTimeTokens(trx, input.accountId, now, 'email_change')
    const detail = 'Every other session and every pending sign-in was ended; this session continues. API tokens keep working: review them in your account.'
    await enqueueMail(trx, mails.notice(mailContext(deps.config), account.email, 'Your password was changed', detail), now)
    await recordEvent(trx, { type: 'password.changed', accountId: input.accountId, meta, at: now })
    return { token: rotated }
  })
}
