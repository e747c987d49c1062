// SQL for the sessions table. Only the SHA-256 of a session token is ever stored or queried.
import type { ExpressionBuilder } from 'kysely'
import type { Db } from '../db/db.js'
import type { DB } from '../db/schema.js'

export interface SessionRow {
  id: string
  account_id: string
  created_at: Date
  last_seen_at: Date
  absolute_expires_at: Date
  ip: string | null
  user_agent: string | null
}

const COLUMNS = ['id', 'account_id', 'created_at', 'last_seen_at', 'absolute_expires_at', 'ip', 'user_agent'] as const

/** A session still alive: before its absolute expiry and seen since `idleSince`. */
function isLive(eb: ExpressionBuilder<DB, 'sessions'>, now: Date, idleSince: Date) {
  return eb.and([eb('absolute_expires_at', '>', now), eb('last_seen_at', '>', idleSince)])
}

export async function insertSession(db: Db, row: Omit<SessionRow, 'id'> & { token_hash: Buffer }): Promise<string> {
  const { id } = await db.insertInto('sessions').values(row).returning('id').executeTakeFirstOrThrow()
  return id
}

/** The live session with this token hash: not past its absolute expiry nor idle too long. */
export async function findLiveByHash(db: Db, tokenHash: Buffer, now: Date, idleSince: Date): Promise<SessionRow | undefined> {
  return db
    .selectFrom('sessions')
    .select(COLUMNS)
    .where('token_hash', '=', tokenHash)
    .where((eb) => isLive(eb, now, idleSince))
    .executeTakeFirst()
}

/** Moves last_seen_at forward, at most once per `minIntervalSeconds` (the WHERE makes it a no-op). */
export async function touch(db: Db, id: string, now: Date, minIntervalSeconds: number): Promise<void> {
  await db
    .updateTable('sessions')
    .set({ last_seen_at: now })
    .where('id', '=', id)
    .where('last_seen_at', '<', new Date(now.getTime() - minIntervalSeconds * 1000))
    .execute()
}

export async function listForAccount(db: Db, accountId: string, now: Date, idleSince: Date): Promise<SessionRow[]> {
  return db
    .selectFrom('sessions')
    .select(COLUMNS)
    .where('account_id', '=', accountId)
    .where((eb) => isLive(eb, now, idleSince))
    .orderBy('created_at', 'desc')
    .execute()
}

export async function deleteOne(db: Db, accountId: string, id: string): Promise<boolean> {
  const result = await db.deleteFrom('sessions').where('id', '=', id).where('account_id', '=', accountId).executeTakeFirst()
  return result.numDeletedRows > 0n
}

/** Gives a session a new token hash (the old token stops matching); false when it is gone. */
export async function replaceTokenHash(db: Db, accountId: string, id: string, tokenHash: Buffer): Promise<boolean> {
  const result = await db.updateTable('sessions').set({ token_hash: tokenHash }).where('id', '=', id).where('account_id', '=', accountId).executeTakeFirst()
  return result.numUpdatedRows === 1n
}

export async function deleteAllForAccount(db: Db, accountId: string, exceptId?: string): Promise<number> {
  let query = db.deleteFrom('sessions').where('account_id', '=', accountId)
  if (exceptId !== undefined) query = query.where('id', '!=', exceptId)
  const result = await query.executeTakeFirst()
  return Number(result.numDeletedRows)
}

export async function deleteExpired(db: Db, now: Date, idleSince: Date): Promise<void> {
  await db.deleteFrom('sessions').where((eb) => eb.or([eb('absolute_expires_at', '<=', now), eb('last_seen_at', '<=', idleSince)])).execute()
}
