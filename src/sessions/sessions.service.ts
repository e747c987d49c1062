// Server-side sessions (OWASP ASVS 5.0 V7, NIST SP 800-63B-4 §5). Invariants:
// - a token is 32 bytes from the CSPRNG; only its SHA-256 is stored, so a database dump opens nothing;
// - every request checks the database (no session cache can outlive a revocation);
// - idle and absolute timeouts come from config; last_seen_at is written at most once a minute;
// - deleting the row ends the session at once, on every instance.
import { sha256 } from '../crypto/hash.js'
import { randomToken } from '../crypto/random.js'
import type { Db } from '../db/db.js'
import type { Deps } from '../deps.js'
import { accountFromRow, type PrincipalAccount } from '../principal/principal.types.js'
import { recordEvent, type RequestMeta } from '../audit/audit.service.js'
import * as repo from './sessions.repo.js'
import type { SessionView } from './sessions.schemas.js'

export const SESSION_TOKEN_BYTES = 32
const TOUCH_INTERVAL_SECONDS = 60
// base64url of 32 bytes: anything else is refused before the database is asked.
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/

export type { SessionView }

function idleSince(deps: Pick<Deps, 'config'>, now: Date): Date {
  return new Date(now.getTime() - deps.config.auth.sessionIdleSeconds * 1000)
}

/**
 * Creates a session and returns its token (to be set as the cookie, shown nowhere else).
 * `multiFactor`: the sign-in used two factors (what an organization requiring MFA asks; decision 0101).
 */
export async function issueSession(
  deps: Pick<Deps, 'config' | 'clock'>,
  db: Db,
  accountId: string,
  meta: RequestMeta,
  multiFactor: boolean,
): Promise<{ token: string; sessionId: string }> {
  const now = deps.clock.now()
  const token = randomToken(SESSION_TOKEN_BYTES)
  const sessionId = await repo.insertSession(db, {
    account_id: accountId,
    token_hash: sha256(token),
    created_at: now,
    last_seen_at: now,
    absolute_expires_at: new Date(now.getTime() + deps.config.auth.sessionAbsoluteSeconds * 1000),
    ip: meta.ip,
    user_agent: meta.userAgent,
    multi_factor: multiFactor,
  })
  return { token, sessionId }
}

/**
 * The session a token opens, with its account's state, or null (unknown, expired, idle too long,
 * revoked, malformed). One database round trip: find, touch and account read are one statement.
 */
export async function validateSession(
  deps: Deps,
  token: string,
): Promise<{ sessionId: string; accountId: string; multiFactor: boolean; account: PrincipalAccount } | null> {
  if (!TOKEN_SHAPE.test(token)) return null
  const now = deps.clock.now()
  const touchBefore = new Date(now.getTime() - TOUCH_INTERVAL_SECONDS * 1000)
  const row = await repo.findLiveAndTouch(deps.db, sha256(token), now, idleSince(deps, now), touchBefore)
  if (row === undefined) return null
  return { sessionId: row.session_id, accountId: row.account_id, multiFactor: row.multi_factor, account: accountFromRow(row) }
}

export async function listSessions(deps: Deps, accountId: string, currentSessionId: string | null): Promise<SessionView[]> {
  const now = deps.clock.now()
  const rows = await repo.listForAccount(deps.db, accountId, now, idleSince(deps, now))
  return rows.map((r) => ({
    id: r.id,
    createdAt: r.created_at.toISOString(),
    lastSeenAt: r.last_seen_at.toISOString(),
    ip: r.ip,
    userAgent: r.user_agent,
    current: r.id === currentSessionId,
  }))
}

/**
 * Re-issues the token of a live session (after a password change, or when the session gains rights):
 * same session id and expiry, a new secret; the old token stops working at once (ASVS 5.0 V7.2.4).
 * `multiFactor`: the session has just proved a second factor (turning TOTP on), and counts as a
 * multi-factor sign-in from now on. Returns the new token, or null when the session is not the account's.
 */
export async function rotateSessionToken(db: Db, accountId: string, sessionId: string, opts: { multiFactor?: true } = {}): Promise<string | null> {
  const token = randomToken(SESSION_TOKEN_BYTES)
  return (await repo.updateOwn(db, accountId, sessionId, { token_hash: sha256(token), ...(opts.multiFactor ? { multi_factor: true } : {}) })) ? token : null
}

/**
 * Counts the session as a multi-factor sign-in from now on, without a new token: it has just
 * registered the account's first passkey, after a password re-check, with user verification
 * (decision 0101). Its token was issued at a sign-in, so no one could have planted it. False when
 * the session is not the account's.
 */
export async function markSessionMultiFactor(db: Db, accountId: string, sessionId: string): Promise<boolean> {
  return repo.updateOwn(db, accountId, sessionId, { multi_factor: true })
}

/** Ends one of the account's sessions; false when the id is not one of its sessions. */
export async function revokeSession(db: Db, accountId: string, sessionId: string): Promise<boolean> {
  return repo.deleteOne(db, accountId, sessionId)
}

/** Ends every session of the account, or all but `exceptSessionId`. Returns how many ended. */
export async function revokeAllSessions(db: Db, accountId: string, exceptSessionId?: string): Promise<number> {
  return repo.deleteAllForAccount(db, accountId, exceptSessionId)
}

export async function deleteExpiredSessions(deps: Deps): Promise<void> {
  const now = deps.clock.now()
  await repo.deleteExpired(deps.db, now, idleSince(deps, now))
}

// Changes asked for over HTTP: each ends sessions and records the security event in one
// transaction, so the change and its record commit together (routes never write the audit trail).

/** Logout: ends the caller's session and records it. */
export async function logout(deps: Deps, accountId: string, sessionId: string, meta: RequestMeta): Promise<void> {
  await deps.db.transaction().execute(async (trx) => {
    await repo.deleteOne(trx, accountId, sessionId)
    await recordEvent(trx, { type: 'logout', accountId, meta, at: deps.clock.now() })
  })
}

/** Ends one session of the account by id (only one made before `olderThan`, when given); false (and nothing recorded) when none is. */
export async function endSession(deps: Deps, accountId: string, sessionId: string, meta: RequestMeta, olderThan?: Date): Promise<boolean> {
  return deps.db.transaction().execute(async (trx) => {
    if (!(await repo.deleteOne(trx, accountId, sessionId, olderThan))) return false
    await recordEvent(trx, { type: 'session.revoked', accountId, meta, at: deps.clock.now() })
    return true
  })
}

/** Ends every session of the account but the current one, and records it. */
export async function endOtherSessions(deps: Deps, accountId: string, currentSessionId: string, meta: RequestMeta): Promise<void> {
  await deps.db.transaction().execute(async (trx) => {
    await repo.deleteAllForAccount(trx, accountId, currentSessionId)
    await recordEvent(trx, { type: 'sessions.revoked_others', accountId, meta, at: deps.clock.now() })
  })
}
