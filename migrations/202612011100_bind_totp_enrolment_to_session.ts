// A pending TOTP enrolment belongs to the session that started it, and is confirmed only by that
// session and only for the exact secret it showed (compare-and-set on the ciphertext): a parallel
// enrolment from another session can neither swap the secret nor be confirmed by a stranger.
import type { Kysely } from 'kysely'

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations are frozen in time and typed loosely
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('totp_factors')
    .addColumn('pending_session_id', 'uuid', (c) => c.references('sessions.id').onDelete('set null'))
    .execute()
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('totp_factors').dropColumn('pending_session_id').execute()
}
