// accounts.credentials_version moves forward with every password change, reset and
// compromise flag, so a login that verified the previous password can see, in the transaction that
// issues its session, that the credential changed under it (docs/decisions/0043). One-time tokens
// gain the purpose `email_change` and the address the token is bound to (docs/decisions/0044).
import { type Kysely, sql } from 'kysely'

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations are frozen in time and typed loosely
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('accounts')
    .addColumn('credentials_version', 'integer', (c) => c.notNull().defaultTo(0))
    .execute()
  await db.schema.alterTable('one_time_tokens').addColumn('bound_email', 'text').execute()
  await sql`alter table one_time_tokens drop constraint one_time_tokens_purpose_check`.execute(db)
  await sql`alter table one_time_tokens add constraint one_time_tokens_purpose_check
    check (purpose in ('verify_email', 'password_reset', 'email_change'))`.execute(db)
  // An email-change token names the address it moves the account to; the others name none.
  await sql`alter table one_time_tokens add constraint one_time_tokens_bound_email_check
    check ((purpose = 'email_change') = (bound_email is not null))`.execute(db)
  // Housekeeping finds unverified accounts past their lifetime.
  await sql`create index accounts_unverified_created_idx on accounts (created_at) where email_verified_at is null`.execute(db)
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index accounts_unverified_created_idx`.execute(db)
  await sql`delete from one_time_tokens where purpose = 'email_change'`.execute(db)
  await sql`alter table one_time_tokens drop constraint one_time_tokens_bound_email_check`.execute(db)
  await sql`alter table one_time_tokens drop constraint one_time_tokens_purpose_check`.execute(db)
  await sql`alter table one_time_tokens add constraint one_time_tokens_purpose_check check (purpose in ('verify_email', 'password_reset'))`.execute(db)
  await db.schema.alterTable('one_time_tokens').dropColumn('bound_email').execute()
  await db.schema.alterTable('accounts').dropColumn('credentials_version').execute()
}
