// Periodic clean-up: expired sessions, ended throttle windows, stale mail tokens, pending MFA logins
// and API tokens revoked or expired a month ago. Deleting expired rows is not what enforces expiry
// (every read checks it); it only keeps tables small. Every instance runs the timer; one run at a
// time across the fleet holds a transaction-scoped advisory lock, the others skip that tick, and a
// DELETE of expired rows cannot remove anything twice.
// One deletion is a control of its own: accounts never verified within UNVERIFIED_ACCOUNT_TTL_DAYS go,
// freeing the address for its owner.
import { deleteExpiredUnverifiedAccounts } from './accounts/accounts.service.js'
import { deleteDeadTokens } from './api-tokens/api-tokens.service.js'
import { tryFleetLock } from './db/fleet-lock.js'
import type { Deps } from './deps.js'
import { deleteExpiredMfaChallenges } from './mfa/mfa.service.js'
import { deleteStaleInvitations } from './orgs/invitations.service.js'
import { deleteStaleOneTimeTokens } from './one-time-tokens/one-time-tokens.service.js'
import { deleteExpiredPasskeyChallenges } from './passkeys/passkeys.service.js'
import { deleteExpiredSessions } from './sessions/sessions.service.js'
import { pruneThrottle } from './throttle/throttle.service.js'

/** Runs housekeeping unless another instance is running it now; true when this one ran it. */
export async function runHousekeepingOnce(deps: Deps): Promise<boolean> {
  // The lock's transaction only holds the lock; the work runs on the pool, in its own short
  // transactions (an audit event per expired account must not hold the chain lock for the whole run).
  return tryFleetLock(deps.db, 'housekeeping', () => runHousekeeping(deps))
}

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
    runHousekeepingOnce(deps)
      .then((ran) => deps.log.info({ ran }, ran ? 'housekeeping ran' : 'housekeeping skipped: another instance is running it'))
      .catch((err: unknown) => deps.log.warn({ err }, 'housekeeping failed'))
  }, deps.config.jobs.housekeepingIntervalSeconds * 1000)
  timer.unref()
  return { stop: () => clearInterval(timer) }
}
