// Periodic clean-up: expired sessions, ended throttle windows, stale mail tokens, pending MFA logins
// and API tokens revoked or expired a month ago. Deleting expired rows is not what enforces expiry
// (every read checks it); it only keeps tables small. One deletion is a control of its own:
// accounts never verified within UNVERIFIED_ACCOUNT_TTL_DAYS go, freeing the address for its owner.
import { deleteExpiredUnverifiedAccounts } from './accounts/accounts.service.js'
import { deleteDeadTokens } from './api-tokens/api-tokens.service.js'
import type { Deps } from './deps.js'
import { deleteExpiredMfaChallenges } from './mfa/mfa.service.js'
import { deleteStaleInvitations } from './orgs/invitations.service.js'
import { deleteStaleOneTimeTokens } from './one-time-tokens/one-time-tokens.service.js'
import { deleteExpiredPasskeyChallenges } from './passkeys/passkeys.service.js'
import { deleteExpiredSessions } from './sessions/sessions.service.js'
import { pruneThrottle } from './throttle/throttle.service.js'

const HOUSEKEEPING_INTERVAL_MS = 10 * 60_000

export async function runHousekeeping(deps: Deps): Promise<void> {
  const now = deps.clock.now()
  await deleteExpiredSessions(deps)
  await pruneThrottle(deps.db, now, 86_400)
  await deleteStaleOneTimeTokens(deps.db, now)
  await deleteExpiredMfaChallenges(deps)
  await deleteDeadTokens(deps)
  await deleteExpiredUnverifiedAccounts(deps)
  await deleteExpiredPasskeyChallenges(deps)
  await deleteStaleInvitations(deps)
}

export function startHousekeeping(deps: Deps): { stop(): void } {
  const timer = setInterval(() => {
    runHousekeeping(deps).catch((err: unknown) => deps.log.warn({ err }, 'housekeeping failed'))
  }, HOUSEKEEPING_INTERVAL_MS)
  timer.unref()
  return { stop: () => clearInterval(timer) }
}
