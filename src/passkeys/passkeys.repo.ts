// SQL for the passkeys and passkey_challenges tables. Challenges are spent with one DELETE ...
// RETURNING, so of two requests presenting the same one, exactly one gets it.
import type { Insertable, Selectable } from 'kysely'
import type { Db } from '../db/db.js'
import type { DB } from '../db/schema.js'

export type PasskeyRow = Selectable<DB['passkeys']>
export type NewPasskeyRow = Insertable<DB['passkeys']>

const LIST_COLUMNS = ['id', 'name', 'created_at', 'last_used_at', 'backed_up'] as const

export async function insertPasskey(db: Db, row: NewPasskeyRow): Promise<{ id: string; name: string; created_at: Date }> {
  return db.insertInto('passkeys').values(row).returning(['id', 'name', 'created_at']).executeTakeFirstOrThrow()
}

export async function findByCredentialId(db: Db, credentialId: string): Promise<PasskeyRow | undefined> {
  return db.selectFrom('passkeys').selectAll().where('credential_id', '=', credentialId).executeTakeFirst()
}

export async function listForAccount(db: Db, accountId: string) {
  return db.selectFrom('passkeys').select(LIST_COLUMNS).where('account_id', '=', accountId).orderBy('created_at').orderBy('id').execute()
}

export async function findOne(db: Db, accountId: string, id: string) {
  return db.selectFrom('passkeys').select(LIST_COLUMNS).where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst()
}

export async function listCredentialIds(db: Db, accountId: string): Promise<{ credential_id: string; transports: string[]; user_handle: string }[]> {
  return db.selectFrom('passkeys').select(['credential_id', 'transports', 'user_handle']).where('account_id', '=', accountId).orderBy('created_at').execute()
}

export async function hasAny(db: Db, accountId: string): Promise<boolean> {
  const row = await db.selectFrom('passkeys').select('id').where('account_id', '=', accountId).limit(1).executeTakeFirst()
  return row !== undefined
}

/**
 * Locks every passkey row of the account until the transaction ends (a "last factor" check must not
 * race a parallel delete); outside a transaction, a plain read of their ids.
 */
export async function lockAccountPasskeys(trx: Db, accountId: string): Promise<string[]> {
  const rows = await trx.selectFrom('passkeys').select('id').where('account_id', '=', accountId).forUpdate().execute()
  return rows.map((r) => r.id)
}

export async function rename(db: Db, accountId: string, id: string, name: string) {
  return db.updateTable('passkeys').set({ name }).where('account_id', '=', accountId).where('id', '=', id).returning(LIST_COLUMNS).executeTakeFirst()
}

export async function deleteOne(db: Db, accountId: string, id: string): Promise<{ name: string } | undefined> {
  return db.deleteFrom('passkeys').where('account_id', '=', accountId).where('id', '=', id).returning('name').executeTakeFirst()
}

export async function deleteAllForAccount(db: Db, accountId: string): Promise<number> {
  const result = await db.deleteFrom('passkeys').where('account_id', '=', accountId).executeTakeFirst()
  return Number(result.numDeletedRows)
}

/**
 * Records a verified use with a compare-and-set on the sign counter (WebAuthn L3 §6.1.1): it must
 * move forward, or stay 0 on an authenticator that keeps none (synced passkeys). False, and nothing
 * written, when it did not: of two assertions racing with the same counter, only one gets through.
 */
export async function advanceSignCount(db: Db, id: string, signCount: number, backedUp: boolean, now: Date): Promise<boolean> {
  const row = await db
    .updateTable('passkeys')
    .set({ sign_count: signCount, backed_up: backedUp, last_used_at: now })
    .where('id', '=', id)
    .where('sign_count', signCount === 0 ? '=' : '<', signCount)
    .returning('id')
    .executeTakeFirst()
  return row !== undefined
}

export async function insertChallenge(db: Db, row: Insertable<DB['passkey_challenges']>): Promise<void> {
  await db.insertInto('passkey_challenges').values(row).execute()
}

/** Spends the registration challenge of this session (single use); undefined when none is live. */
export async function takeRegistrationChallenge(db: Db, sessionId: string, accountId: string, now: Date) {
  return db
    .deleteFrom('passkey_challenges')
    .where('purpose', '=', 'registration')
    .where('session_id', '=', sessionId)
    .where('account_id', '=', accountId)
    .where('expires_at', '>', now)
    .returning(['challenge_hash', 'user_handle'])
    .executeTakeFirst()
}

export async function deleteRegistrationChallenges(db: Db, sessionId: string): Promise<void> {
  await db.deleteFrom('passkey_challenges').where('purpose', '=', 'registration').where('session_id', '=', sessionId).execute()
}

/** Spends the sign-in challenge bound to this pending cookie (single use); undefined when none is live. */
export async function takeAuthenticationChallenge(db: Db, pendingTokenHash: Buffer, now: Date) {
  return db
    .deleteFrom('passkey_challenges')
    .where('purpose', '=', 'authentication')
    .where('pending_token_hash', '=', pendingTokenHash)
    .where('expires_at', '>', now)
    .returning(['challenge_hash'])
    .executeTakeFirst()
}

export async function deleteExpiredChallenges(db: Db, now: Date): Promise<void> {
  await db.deleteFrom('passkey_challenges').where('expires_at', '<=', now).execute()
}
