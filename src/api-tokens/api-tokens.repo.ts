// SQL for api_tokens. Only HMACs of tokens are written or queried; token_hash is never selected
// back out (COLUMNS leaves it out), so no row mapping can leak it into a reply.
import type { Db, Trx } from '../db/db.js'

export interface ApiTokenRow {
  id: string
  account_id: string
  name: string
  key_id: string
  scopes: string[]
  created_at: Date
  expires_at: Date
  last_used_at: Date | null
  org_id: string | null
}

const COLUMNS = ['id', 'account_id', 'name', 'key_id', 'scopes', 'created_at', 'expires_at', 'last_used_at', 'org_id'] as const

export interface NewApiTokenRow {
  account_id: string
  name: string
  token_hash: Buffer
  key_id: string
  scopes: string[]
  created_at: Date
  expires_at: Date
  org_id?: string | null
}

export async function insertToken(db: Db, row: NewApiTokenRow): Promise<ApiTokenRow> {
  return db.insertInto('api_tokens').values(row).returning(COLUMNS).executeTakeFirstOrThrow()
}

/**
 * The owner's address for the notice mail. accounts belongs to src/accounts; this one read is
 * kept here (brief of issue 5) and locks the row, so concurrent creations count tokens in turn.
 */
export async function lockOwner(trx: Trx, accountId: string): Promise<{ id: string; email: string } | undefined> {
  return trx.selectFrom('accounts').select(['id', 'email']).where('id', '=', accountId).forUpdate().executeTakeFirst()
}

export async function countLive(db: Db, accountId: string, now: Date): Promise<number> {
  const { n } = await db
    .selectFrom('api_tokens')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('account_id', '=', accountId)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirstOrThrow()
  return n
}

/** The account's tokens that are not revoked (expired ones too, so owners see them lapse), newest first. */
export async function listForAccount(db: Db, accountId: string, limit: number): Promise<ApiTokenRow[]> {
  return db
    .selectFrom('api_tokens')
    .select(COLUMNS)
    .where('account_id', '=', accountId)
    .where('revoked_at', 'is', null)
    .orderBy('created_at', 'desc')
    .orderBy('id')
    .limit(limit)
    .execute()
}

/** Marks one of the account's unrevoked tokens revoked; undefined when there is none with that id. */
export async function revokeOne(db: Db, accountId: string, id: string, now: Date): Promise<ApiTokenRow | undefined> {
  return db
    .updateTable('api_tokens')
    .set({ revoked_at: now })
    .where('id', '=', id)
    .where('account_id', '=', accountId)
    .where('revoked_at', 'is', null)
    .returning(COLUMNS)
    .executeTakeFirst()
}

/** Marks every unrevoked token of the account revoked; returns how many. */
export async function revokeAllForAccount(db: Db, accountId: string, now: Date): Promise<number> {
  const result = await db.updateTable('api_tokens').set({ revoked_at: now }).where('account_id', '=', accountId).where('revoked_at', 'is', null).executeTakeFirst()
  return Number(result.numUpdatedRows)
}

/**
 * The live token whose HMAC under key `keyId` is `hash`, for any of the candidates (one per key of
 * the ring): not revoked, not expired.
 */
export async function findLiveByHash(db: Db, candidates: readonly { keyId: string; hash: Buffer }[], now: Date): Promise<ApiTokenRow | undefined> {
  if (candidates.length === 0) return undefined
  return db
    .selectFrom('api_tokens')
    .select(COLUMNS)
    .where((eb) => eb.or(candidates.map((c) => eb.and([eb('token_hash', '=', c.hash), eb('key_id', '=', c.keyId)]))))
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst()
}

/** Moves last_used_at forward at most once per `minIntervalSeconds` (the WHERE makes it a no-op). */
export async function touch(db: Db, id: string, now: Date, minIntervalSeconds: number): Promise<void> {
  const before = new Date(now.getTime() - minIntervalSeconds * 1000)
  await db
    .updateTable('api_tokens')
    .set({ last_used_at: now })
    .where('id', '=', id)
    .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', before)]))
    .execute()
}

/** Re-hashes a token found under a retired key with the active one, so the old key can leave the ring. */
export async function rehash(db: Db, id: string, fromKeyId: string, to: { keyId: string; hash: Buffer }): Promise<void> {
  await db.updateTable('api_tokens').set({ token_hash: to.hash, key_id: to.keyId }).where('id', '=', id).where('key_id', '=', fromKeyId).execute()
}

/** Deletes tokens revoked or expired before `before` (housekeeping; their events stay). */
export async function deleteDeadBefore(db: Db, before: Date): Promise<void> {
  await db.deleteFrom('api_tokens').where((eb) => eb.or([eb('revoked_at', '<', before), eb('expires_at', '<', before)])).execute()
}

/** Revokes the account's live tokens bound to the organization (the member left or was removed). */
export async function revokeForOrg(db: Db, orgId: string, accountId: string, now: Date): Promise<number> {
  const rows = await db
    .updateTable('api_tokens')
    .set({ revoked_at: now })
    .where('org_id', '=', orgId)
    .where('account_id', '=', accountId)
    .where('revoked_at', 'is', null)
    .returning('id')
    .execute()
  return rows.length
}
