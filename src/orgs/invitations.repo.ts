// SQL for invitations. Only the SHA-256 of a token is written or looked up; token_hash is never
// selected back out.
import type { Selectable } from 'kysely'
import type { Db, Trx } from '../db/db.js'
import type { DB } from '../db/schema.js'
import { emailKey } from '../mail/address.js'

export type InvitationRow = Pick<Selectable<DB['invitations']>, (typeof COLUMNS)[number]>

const COLUMNS = ['id', 'org_id', 'email', 'role', 'invited_by', 'expires_at'] as const

export async function insertInvitation(
  db: Db,
  row: { org_id: string; email: string; role: string; token_hash: Buffer; invited_by: string; created_at: Date; expires_at: Date },
): Promise<InvitationRow> {
  return db.insertInto('invitations').values(row).returning(COLUMNS).executeTakeFirstOrThrow()
}

export async function countPending(db: Db, orgId: string, now: Date): Promise<number> {
  const { n } = await db
    .selectFrom('invitations')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('org_id', '=', orgId)
    .where('accepted_at', 'is', null)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirstOrThrow()
  return n
}

/** Revokes the organization's pending invitations to `email` (a new one replaces them). */
export async function revokePendingTo(db: Db, orgId: string, email: string, now: Date): Promise<void> {
  await db
    .updateTable('invitations')
    .set({ revoked_at: now })
    .where('org_id', '=', orgId)
    .where((eb) => eb(eb.fn('lower', ['email']), '=', emailKey(email)))
    .where('accepted_at', 'is', null)
    .where('revoked_at', 'is', null)
    .execute()
}

/** The organization's pending invitations, newest first (the inviter's address is src/accounts'). */
export async function listPending(db: Db, orgId: string, now: Date, limit: number): Promise<InvitationRow[]> {
  return db
    .selectFrom('invitations')
    .select(COLUMNS)
    .where('org_id', '=', orgId)
    .where('accepted_at', 'is', null)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .orderBy('created_at', 'desc')
    .limit(limit)
    .execute()
}

/** Revokes one pending invitation of the organization; undefined when there is none with that id. */
export async function revokeOne(db: Db, orgId: string, id: string, now: Date): Promise<InvitationRow | undefined> {
  return db
    .updateTable('invitations')
    .set({ revoked_at: now })
    .where('id', '=', id)
    .where('org_id', '=', orgId)
    .where('accepted_at', 'is', null)
    .where('revoked_at', 'is', null)
    .returning(COLUMNS)
    .executeTakeFirst()
}

/** The live (unaccepted, unrevoked, unexpired) invitation with this token hash, as a query. */
function liveByHash(db: Db, hash: Buffer, now: Date) {
  return db
    .selectFrom('invitations')
    .select(COLUMNS)
    .where('token_hash', '=', hash)
    .where('accepted_at', 'is', null)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
}

/**
 * The live invitation with this token hash, not locked: tells an accept which organization and
 * inviter to lock before it locks the invitation itself (lockLiveByHash).
 */
export async function findLiveByHash(db: Db, hash: Buffer, now: Date): Promise<InvitationRow | undefined> {
  return liveByHash(db, hash, now).executeTakeFirst()
}

/** The live invitation with this token hash, locked, so two accepts of one token run in turn. */
export async function lockLiveByHash(trx: Trx, hash: Buffer, now: Date): Promise<InvitationRow | undefined> {
  return liveByHash(trx, hash, now).forUpdate().executeTakeFirst()
}

/**
 * Revokes the live invitations `inviterId` sent in the organization for a role outside `stillGrantable`
 * (every one of them when it is empty); returns their ids.
 */
export async function revokeLiveBy(db: Db, orgId: string, inviterId: string, stillGrantable: readonly string[], now: Date): Promise<string[]> {
  let query = db
    .updateTable('invitations')
    .set({ revoked_at: now })
    .where('org_id', '=', orgId)
    .where('invited_by', '=', inviterId)
    .where('accepted_at', 'is', null)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
  if (stillGrantable.length > 0) query = query.where('role', 'not in', stillGrantable)
  const rows = await query.returning('id').execute()
  return rows.map((r) => r.id).sort()
}

export async function markAccepted(db: Db, id: string, now: Date): Promise<void> {
  await db.updateTable('invitations').set({ accepted_at: now }).where('id', '=', id).execute()
}

/** Deletes invitations accepted, revoked or expired before `before` (they hold an address). */
export async function deleteEndedBefore(db: Db, before: Date): Promise<void> {
  await db
    .deleteFrom('invitations')
    .where((eb) => eb.or([eb('accepted_at', '<', before), eb('revoked_at', '<', before), eb('expires_at', '<', before)]))
    .execute()
}
