// One place that ends everything able to open an account: used when the owner takes the account
// back (password reset, which is also how a mailbox owner claims an address someone registered
// first) and on evidence of compromise (docs/decisions/0042). Runs inside the caller's transaction,
// so the credential change and the revocations commit together.
import { revokeAllTokens } from '../api-tokens/api-tokens.service.js'
import type { Db } from '../db/db.js'
import { endMfaChallenges } from '../mfa/mfa.service.js'
import { removeAllPasskeys } from '../passkeys/passkeys.service.js'
import { revokeAllSessions } from '../sessions/sessions.service.js'

/** What `endAllAccess` ended, for the audit event. */
export interface EndedAccess {
  sessions: number
  pendingLogins: number
  apiTokens: number
  passkeys: number
}

/** Ends every session, pending MFA login, API token and passkey of the account. */
export async function endAllAccess(trx: Db, accountId: string, now: Date): Promise<EndedAccess> {
  const sessions = await revokeAllSessions(trx, accountId)
  const pendingLogins = await endMfaChallenges(trx, accountId)
  const apiTokens = await revokeAllTokens(trx, accountId, now)
  // A passkey an intruder added is a full sign-in (API.md, Passkeys): it goes too.
  const passkeys = await removeAllPasskeys(trx, accountId)
  return { sessions, pendingLogins, apiTokens, passkeys }
}

/** The sentence every mail about such an event carries. */
export const ENDED_ACCESS_TEXT =
  'Every session, pending sign-in, API token and passkey of the account was ended; pending changes of the sign-in address were cancelled.'
