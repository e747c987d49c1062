// Passkeys (WebAuthn): one row per registered credential (its public key, never a secret) and the
// pending ceremonies. A challenge is stored only as its SHA-256 and is bound either to the session
// that asked for a registration or to the pending-sign-in cookie (itself stored as a SHA-256).
import { type Kysely, sql } from 'kysely'

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations are frozen in time and typed loosely
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('passkeys')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('account_id', 'uuid', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('credential_id', 'text', (c) => c.notNull().unique()) // base64url, as the authenticator reports it
    .addColumn('public_key', 'bytea', (c) => c.notNull()) // COSE_Key
    .addColumn('sign_count', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('transports', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'::text[]`))
    .addColumn('backup_eligible', 'boolean', (c) => c.notNull())
    .addColumn('backed_up', 'boolean', (c) => c.notNull())
    .addColumn('user_handle', 'text', (c) => c.notNull()) // random, base64url; WebAuthn user.id
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('last_used_at', 'timestamptz')
    .execute()
  await db.schema.createIndex('passkeys_account_id_idx').on('passkeys').column('account_id').execute()

  await db.schema
    .createTable('passkey_challenges')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('purpose', 'text', (c) => c.notNull().check(sql`purpose in ('registration', 'authentication')`))
    .addColumn('challenge_hash', 'bytea', (c) => c.notNull())
    // Registration: the session that asked (and its account). Sign-in: the pending cookie's SHA-256.
    .addColumn('session_id', 'uuid', (c) => c.references('sessions.id').onDelete('cascade'))
    .addColumn('account_id', 'uuid', (c) => c.references('accounts.id').onDelete('cascade'))
    .addColumn('pending_token_hash', 'bytea', (c) => c.unique())
    .addColumn('user_handle', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addCheckConstraint(
      'passkey_challenges_binding_check',
      sql`(purpose = 'registration' and session_id is not null and account_id is not null and user_handle is not null)
          or (purpose = 'authentication' and pending_token_hash is not null)`,
    )
    .execute()
  await db.schema.createIndex('passkey_challenges_session_idx').on('passkey_challenges').column('session_id').execute()
  await db.schema.createIndex('passkey_challenges_expires_idx').on('passkey_challenges').column('expires_at').execute()
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('passkey_challenges').execute()
  await db.schema.dropTable('passkeys').execute()
}
