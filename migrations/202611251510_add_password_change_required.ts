// A password known or suspected to be compromised must be changed before the account is used
// again (NIST SP 800-63B-4 §3.1.1.2): the flag is set by an operator or the breach check, and
// cleared by the next password change or reset.
import type { Kysely } from 'kysely'

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations are frozen in time and typed loosely
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('accounts').addColumn('password_change_required_at', 'timestamptz').execute()
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('accounts').dropColumn('password_change_required_at').execute()
}
