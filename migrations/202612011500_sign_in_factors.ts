// Whether a sign-in used two factors (decision 0101): an organization that requires MFA asks it of
// the session, and of a token, which inherits it from the session that made it. What the account
// has is not enough: a passkey-only account can still sign in with its password alone, and a
// session opened before TOTP was turned on stays single-factor. Rows from before count as
// single-factor: their sign-in was not recorded.
import type { Kysely } from 'kysely'

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations are frozen in time and typed loosely
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('sessions')
    .addColumn('multi_factor', 'boolean', (c) => c.notNull().defaultTo(false))
    .execute()
  await db.schema
    .alterTable('api_tokens')
    .addColumn('multi_factor', 'boolean', (c) => c.notNull().defaultTo(false))
    .execute()
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('api_tokens').dropColumn('multi_factor').execute()
  await db.schema.alterTable('sessions').dropColumn('multi_factor').execute()
}
