// SQL for the sessions table. Only the SHA-256 of a session token is ever stored or queried.
import { type ExpressionBuilder, type Selectable } from 'kysely'
import { type Db, hotStatement } from '../db/db.js'
import type { DB } from '../db/schema.js'
import type { AccountStateRow } from '../principal/principal.types.js'

export type SessionRow = Pick<Selectable<DB['sessions']>, (typeof COLUMNS)[number]>

const COLUMNS = ['id', 'account_id', 'created_at', 'last_seen_at', 'absolute_expires_at', 'ip', 'user_agent', 'multi_factor'] as const

/** A session still alive: before its absolute expiry and seen since `idleSince`. */
function isLive(eb: ExpressionBuilder<DB, 'sessions'>, now: Date, idleSince: Date) {
  return eb.and([eb('absolute_expires_at', '>', now), eb('last_seen_at', '>', idleSince)])
}

export async function insertSession(db: Db, row: Omit<SessionRow, 'id'> & { token_hash: Buffer }): Promise<string> {
  const { id } = await db.insertInto('sessions').values(row).returning('id').executeTakeFirstOrThrow()
  return id
}

/** What an authenticated request needs about its caller, read with the session in one statement. */
export type LiveSessionWithAccount = { session_id: string } & Pick<Selectable<DB['sessions']>, 'account_id' | 'multi_factor'> & AccountStateRow

/**
 * The hot path of every cookie request, in one round trip (docs/decisions/0065): finds the live
 * session, moves last_seen_at forward when it is older than `touchBefore` (a data-modifying CTE
 * runs exactly once whether or not it is read), and returns the account's state and whether it
 * has a confirmed second factor. Read-only on accounts, totp_factors and passkeys, whose owners write them.
 * The one read of other features' tables outside their owners, kept on purpose: the caller and the
 * state it is judged on (account, factors) come from one snapshot in one round trip (decision 0065).
 * Always on the primary and never cached, so a deleted row refuses the very next request.
 */
// Times go in as ISO strings and come out as numbers or booleans: pg's own conversion of a Date, each
// way, cost more than the rest of the client's work on this statement (docs/benchmarks.md).
const findLiveAndTouchStatement = hotStatement<LiveSessionWithAccount, [tokenHash: Buffer, now: string, idleSince: string, touchBefore: string]>(`
    with s as (
      select id, account_id, last_seen_at, multi_factor from sessions
      where token_hash = $1 and absolute_expires_at > $2 and last_seen_at > $3
    ), touched as (
      update sessions set last_seen_at = $2 from s where sessions.id = s.id and s.last_seen_at < $4 returning sessions.id
    )
    select s.id as session_id, a.id as account_id, s.multi_factor, a.email, a.email_verified_at is not null as email_verified,
      floor(extract(epoch from a.created_at) * 1000)::float8 as created_at_ms,
      exists (select 1 from totp_factors f where f.account_id = a.id and f.confirmed_at is not null) as mfa_enabled,
      exists (select 1 from passkeys p where p.account_id = a.id) as has_passkey
    from s join accounts a on a.id = s.account_id`)

export async function findLiveAndTouch(db: Db, tokenHash: Buffer, now: Date, idleSince: Date, touchBefore: Date): Promise<LiveSessionWithAccount | undefined> {
  return (await findLiveAndTouchStatement(db, tokenHash, now.toISOString(), idleSince.toISOString(), touchBefore.toISOString()))[0]
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

/**
 * Changes the account's session `id`: a new token hash (the old token stops matching), and/or
 * multi-factor from now on (it has just proved a factor); false when it is not the account's.
 */
export async function updateOwn(db: Db, accountId: string, id: string, set: { token_hash?: Buffer; multi_factor?: true }): Promise<boolean> {
  const result = await db.updateTable('sessions').set(set).where('id', '=', id).where('account_id', '=', accountId).executeTakeFirst()
  return result.numUpdatedRows > 0n
}

/** Deletes the account's session `id` (only when created before `olderThan`, if given); false when none was. */
export async function deleteOne(db: Db, accountId: string, id: string, olderThan?: Date): Promise<boolean> {
  let query = db.deleteFrom('sessions').where('id', '=', id).where('account_id', '=', accountId)
  if (olderThan !== undefined) query = query.where('created_at', '<', olderThan)
  const result = await query.executeTakeFirst()
  return result.numDeletedRows > 0n
}

export async function deleteAllForAccount(db: Db, accountId: string, exceptId?: string): Promise<number> {
  let query = db.deleteFrom('sessions').where('account_id', '=', accountId)
  if (exceptId !== undefined) query = query.where('id', '!=', exceptId)
  const result = await query.executeTakeFirst()
  return Number(result.numDeletedRows)
}

export async function deleteExpired(db: Db, now: Date, idleSince: Date): Promise<void> {
  await db
    .deleteFrom('sessions')
    .where((eb) => eb.or([eb('absolute_expires_at', '<=', now), eb('last_seen_at', '<=', idleSince)]))
    .execute()
}
