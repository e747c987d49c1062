// SQL for the accounts and known_devices tables. The password hash is selected only where a
// password is checked; everything else uses the public columns.
import { type Selectable, sql } from 'kysely'
import type { Db } from '../db/db.js'
import type { DB } from '../db/schema.js'
import { emailKey } from '../mail/address.js'

export type AccountRow = Pick<Selectable<DB['accounts']>, (typeof PUBLIC_COLUMNS)[number]>

const PUBLIC_COLUMNS = ['id', 'email', 'email_verified_at', 'created_at'] as const

export async function findById(db: Db, id: string): Promise<AccountRow | undefined> {
  return db.selectFrom('accounts').select(PUBLIC_COLUMNS).where('id', '=', id).executeTakeFirst()
}

export async function findByEmail(db: Db, email: string): Promise<AccountRow | undefined> {
  return db
    .selectFrom('accounts')
    .select(PUBLIC_COLUMNS)
    .where(sql<string>`lower(email)`, '=', emailKey(email))
    .executeTakeFirst()
}

export type CredentialsRow = Pick<Selectable<DB['accounts']>, (typeof CREDENTIAL_COLUMNS)[number]>
const CREDENTIAL_COLUMNS = [...PUBLIC_COLUMNS, 'password_hash', 'password_change_required_at', 'credentials_version'] as const

export async function findCredentialsByEmail(db: Db, email: string): Promise<CredentialsRow | undefined> {
  return db
    .selectFrom('accounts')
    .select(CREDENTIAL_COLUMNS)
    .where(sql<string>`lower(email)`, '=', emailKey(email))
    .executeTakeFirst()
}

export async function findCredentialsById(db: Db, id: string): Promise<CredentialsRow | undefined> {
  return db.selectFrom('accounts').select(CREDENTIAL_COLUMNS).where('id', '=', id).executeTakeFirst()
}

/** The credentials version, read with FOR UPDATE: a concurrent change waits until this transaction ends. */
export async function lockCredentialsVersion(trx: Db, id: string): Promise<number | undefined> {
  const row = await trx.selectFrom('accounts').select('credentials_version').where('id', '=', id).forUpdate().executeTakeFirst()
  return row?.credentials_version
}

export async function findCredentialsVersion(db: Db, id: string): Promise<number | undefined> {
  const row = await db.selectFrom('accounts').select('credentials_version').where('id', '=', id).executeTakeFirst()
  return row?.credentials_version
}

/** Replaces the hash only if it is still the one the caller verified (a login's opportunistic rehash). */
export async function rehashIfUnchanged(db: Db, id: string, verifiedHash: string, newHash: string): Promise<boolean> {
  const result = await db
    .updateTable('accounts')
    .set({ password_hash: newHash })
    .where('id', '=', id)
    .where('password_hash', '=', verifiedHash)
    .executeTakeFirst()
  return result.numUpdatedRows > 0n
}

export async function findPasswordHash(db: Db, id: string): Promise<string | undefined> {
  const row = await db.selectFrom('accounts').select('password_hash').where('id', '=', id).executeTakeFirst()
  return row?.password_hash
}

/** Inserts unless the email is taken (case-insensitively); returns the new id or undefined. */
export async function insertIfAbsent(db: Db, email: string, passwordHash: string, now: Date): Promise<string | undefined> {
  const row = await db
    .insertInto('accounts')
    .values({ email, password_hash: passwordHash, created_at: now, password_changed_at: now })
    .onConflict((oc) => oc.expression(sql`lower(email)`).doNothing())
    .returning('id')
    .executeTakeFirst()
  return row?.id
}

export async function setPasswordHash(db: Db, id: string, passwordHash: string, now: Date, changed: boolean): Promise<void> {
  await db
    .updateTable('accounts')
    // A real change clears a "must change" flag; a re-hash of the same password does not.
    // A real change also moves credentials_version, so a login that checked the old password fails.
    .set((eb) =>
      changed
        ? { password_hash: passwordHash, password_changed_at: now, password_change_required_at: null, credentials_version: eb('credentials_version', '+', 1) }
        : { password_hash: passwordHash },
    )
    .where('id', '=', id)
    .execute()
}

export async function markEmailVerified(db: Db, id: string, now: Date): Promise<void> {
  await db.updateTable('accounts').set({ email_verified_at: now }).where('id', '=', id).where('email_verified_at', 'is', null).execute()
}

export async function deleteAccount(db: Db, id: string): Promise<boolean> {
  const result = await db.deleteFrom('accounts').where('id', '=', id).executeTakeFirst()
  return result.numDeletedRows > 0n
}

/** Records the device; true when it was not seen before for this account. */
export async function rememberDevice(db: Db, accountId: string, fingerprint: Buffer, now: Date): Promise<boolean> {
  const row = await db
    .insertInto('known_devices')
    .values({ account_id: accountId, fingerprint, first_seen_at: now })
    .onConflict((oc) => oc.columns(['account_id', 'fingerprint']).doNothing())
    .returning('account_id')
    .executeTakeFirst()
  return row !== undefined
}

export async function hasAnyDevice(db: Db, accountId: string): Promise<boolean> {
  const row = await db.selectFrom('known_devices').select('account_id').where('account_id', '=', accountId).limit(1).executeTakeFirst()
  return row !== undefined
}

/** Flags the password as compromised; returns false when there is no such account. */
export async function flagPasswordChangeRequired(db: Db, id: string, now: Date): Promise<boolean> {
  const result = await db
    .updateTable('accounts')
    .set((eb) => ({ password_change_required_at: now, credentials_version: eb('credentials_version', '+', 1) }))
    .where('id', '=', id)
    .executeTakeFirst()
  return result.numUpdatedRows > 0n
}

/**
 * Moves the account to a new address, verified; throws the unique violation when it is taken. The
 * address is half of a credential: credentials_version moves too, so a login that checked the
 * password under the old address fails (found by a scan: it outlived "every other session ends").
 */
export async function replaceEmail(db: Db, id: string, email: string, now: Date): Promise<void> {
  await db
    .updateTable('accounts')
    .set((eb) => ({ email, email_verified_at: now, credentials_version: eb('credentials_version', '+', 1) }))
    .where('id', '=', id)
    .execute()
}

/** Deletes accounts created before `before` and never verified; returns their ids. */
export async function deleteUnverifiedBefore(db: Db, before: Date): Promise<string[]> {
  const rows = await db.deleteFrom('accounts').where('email_verified_at', 'is', null).where('created_at', '<', before).returning('id').execute()
  return rows.map((r) => r.id)
}

/** True when the account's password is flagged as compromised (a passkey sign-in checks it too). */
export async function isPasswordChangeRequired(db: Db, id: string): Promise<boolean> {
  const row = await db.selectFrom('accounts').select('password_change_required_at').where('id', '=', id).executeTakeFirst()
  return row?.password_change_required_at != null
}

/** Locks the account row (FOR UPDATE) in the caller's transaction; its id and address. */
export async function lockContact(trx: Db, id: string): Promise<{ id: string; email: string } | undefined> {
  return trx.selectFrom('accounts').select(['id', 'email']).where('id', '=', id).forUpdate().executeTakeFirst()
}

/** The address and its verification state. */
export async function findContact(db: Db, id: string): Promise<{ email: string; email_verified_at: Date | null } | undefined> {
  return db.selectFrom('accounts').select(['email', 'email_verified_at']).where('id', '=', id).executeTakeFirst()
}

/** The addresses of the accounts among `ids` that exist (one indexed look-up for a whole list). */
export async function findEmails(db: Db, ids: readonly string[]): Promise<{ id: string; email: string }[]> {
  if (ids.length === 0) return []
  return db.selectFrom('accounts').select(['id', 'email']).where('id', 'in', ids).execute()
}
