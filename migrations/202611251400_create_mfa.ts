// TOTP second factor: one factor per account (sealed secret, last accepted time step), its
// recovery codes (SHA-256 of 120-bit random codes) and pending logins waiting for a code.
// No secret is ever stored in clear: the TOTP seed is a compact JWE, codes and tokens are hashes.
import { type Kysely, sql } from 'kysely'

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations are frozen in time and typed loosely
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('totp_factors')
    .addColumn('account_id', 'uuid', (c) => c.primaryKey().references('accounts.id').onDelete('cascade'))
    .addColumn('secret_ciphertext', 'text', (c) => c.notNull()) // compact JWE bound to the account id
    .addColumn('confirmed_at', 'timestamptz') // null: enrolment pending, not yet a factor
    .addColumn('last_used_step', 'bigint') // RFC 6238 §5.2: codes at or below this step are refused
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()

  await db.schema
    .createTable('recovery_codes')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('account_id', 'uuid', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('code_hash', 'bytea', (c) => c.notNull())
    .addColumn('used_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('recovery_codes_account_hash_key', ['account_id', 'code_hash'])
    .execute()

  await db.schema
    .createTable('mfa_challenges')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('account_id', 'uuid', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('token_hash', 'bytea', (c) => c.notNull().unique()) // SHA-256 of the pending-login token
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('failures', 'integer', (c) => c.notNull().defaultTo(0))
    .execute()
  await db.schema.createIndex('mfa_challenges_account_idx').on('mfa_challenges').column('account_id').execute()
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['mfa_challenges', 'recovery_codes', 'totp_factors']) {
    await db.schema.dropTable(table).execute()
  }
}
