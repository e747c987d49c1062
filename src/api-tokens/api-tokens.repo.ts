// SQL for api_tokens. Only HMACs of tokens are written or queried; token_hash is never selected
// back out (COLUMNS leaves it out), so no row mapping can leak it into a reply.
import { type Insertable, type Selectable } from 'kysely'
import { type Db, hotStatement } from '../db/db.js'
import type { DB } from '../db/schema.js'
import type { AccountStateRow } from '../principal/principal.types.js'

export type ApiTokenRow = Pick<Selectable<DB['api_tokens']>, (typeof COLUMNS)[number]>

const COLUMNS = ['id', 'account_id', 'name', 'key_id', 'scopes', 'created_at', 'expires_at', 'last_used_at', 'org_id'] as const

/** created_at is required: it comes from the injected clock, not the database's default. */
export type NewApiTokenRow = Pick<Insertable<DB['api_tokens']>, 'account_id' | 'name' | 'token_hash' | 'key_id' | 'scopes' | 'expires_at' | 'org_id'> & {
  created_at: Date
  multi_factor: boolean
}

export async function insertToken(db: Db, row: NewApiTokenRow): Promise<ApiTokenRow> {
  return db.insertInto('api_tokens').values(row).returning(COLUMNS).executeTakeFirstOrThrow()
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
  const result = await db
    .updateTable('api_tokens')
    .set({ revoked_at: now })
    .where('account_id', '=', accountId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst()
  return Number(result.numUpdatedRows)
}

/** The token's columns, the owner's state (created_at is the account's), and its factors. */
export type LiveTokenWithAccount = Pick<Selectable<DB['api_tokens']>, 'id' | 'account_id' | 'key_id' | 'scopes' | 'org_id' | 'multi_factor'> &
  AccountStateRow & {
    /** When the token was made, in ms since the epoch. */
    token_created_at_ms: number
  }

type LiveTokenStatement = (db: Db, now: string, touchBefore: string, ...candidates: (Buffer | string)[]) => Promise<LiveTokenWithAccount[]>

/**
 * The hot path of every bearer request, in one round trip (docs/decisions/0065): the live token
 * whose HMAC matches one of the candidates, last_used_at moved forward when older than
 * `touchBefore`, and the owner's state. Read-only on accounts, totp_factors and passkeys. Never cached.
 * The one read of other features' tables outside their owners, kept on purpose: the caller and the
 * state it is judged on (account, factors) come from one snapshot in one round trip (decision 0065).
 *
 * One text per number of candidates (one HMAC per key of the ring: one key, or a few while one is
 * retired), each pair a parameter of its own. An array of candidates kept one text for every ring,
 * but PostgreSQL cannot tell an array parameter's length: its generic plan counted ten candidates
 * and always cost more than a plan made for the values, so the statement was planned anew on every
 * request, which cost more than running it (docs/benchmarks.md, eighth pass). Times go in as ISO
 * strings and come out as numbers or booleans, as in sessions.repo.ts. Only parameter numbers are
 * spliced into the text; every value goes apart from it.
 */
function liveTokenStatement(candidates: number): LiveTokenStatement {
  // Placeholders only, made from an integer: `(token_hash = $3 and key_id = $4) or ...`.
  const pairs = Array.from({ length: candidates }, (_, i) => `(token_hash = $${2 * i + 3} and key_id = $${2 * i + 4})`).join(' or ')
  // ast-grep-ignore: no-string-built-sql -- the one substitution is the placeholder list above, never a value
  return hotStatement<LiveTokenWithAccount, [now: string, touchBefore: string, ...candidates: (Buffer | string)[]]>(`
    with t as (
      select id, account_id, key_id, scopes, org_id, multi_factor, last_used_at, created_at from api_tokens
      where (${pairs}) and revoked_at is null and expires_at > $1
      limit 1
    ), touched as (
      update api_tokens set last_used_at = $1 from t
      where api_tokens.id = t.id and (t.last_used_at is null or t.last_used_at < $2) returning api_tokens.id
    )
    select t.id, t.account_id, t.key_id, t.scopes, t.org_id, t.multi_factor, floor(extract(epoch from t.created_at) * 1000)::float8 as token_created_at_ms,
      a.email, a.email_verified_at is not null as email_verified,
      floor(extract(epoch from a.created_at) * 1000)::float8 as created_at_ms,
      exists (select 1 from totp_factors f where f.account_id = a.id and f.confirmed_at is not null) as mfa_enabled,
      exists (select 1 from passkeys p where p.account_id = a.id) as has_passkey
    from t join accounts a on a.id = t.account_id`)
}

// As many entries as the ring has sizes in this process's life: one, as the ring is fixed at start.
const liveTokenStatements = new Map<number, LiveTokenStatement>()

export async function findLiveAndTouch(
  db: Db,
  candidates: readonly { keyId: string; hash: Buffer }[],
  now: Date,
  touchBefore: Date,
): Promise<LiveTokenWithAccount | undefined> {
  if (candidates.length === 0) return undefined
  let statement = liveTokenStatements.get(candidates.length)
  if (statement === undefined) {
    statement = liveTokenStatement(candidates.length)
    liveTokenStatements.set(candidates.length, statement)
  }
  return (await statement(db, now.toISOString(), touchBefore.toISOString(), ...candidates.flatMap((c) => [c.hash, c.keyId])))[0]
}

/** Re-hashes a token found under a retired key with the active one, so the old key can leave the ring. */
export async function rehash(db: Db, id: string, fromKeyId: string, to: { keyId: string; hash: Buffer }): Promise<void> {
  await db.updateTable('api_tokens').set({ token_hash: to.hash, key_id: to.keyId }).where('id', '=', id).where('key_id', '=', fromKeyId).execute()
}

/** Deletes tokens revoked or expired before `before` (housekeeping; their events stay). */
export async function deleteDeadBefore(db: Db, before: Date): Promise<void> {
  await db
    .deleteFrom('api_tokens')
    .where((eb) => eb.or([eb('revoked_at', '<', before), eb('expires_at', '<', before)]))
    .execute()
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
