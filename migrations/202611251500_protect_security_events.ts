// The audit trail becomes tamper-evident and append-only:
// - each row carries the SHA-256 of its content chained to the previous row's hash
//   (src/audit/audit-chain.ts writes and verifies it);
// - a trigger refuses UPDATE, DELETE and TRUNCATE, for every role; the app's role is also denied
//   those privileges (src/db/grants.ts). Removing either takes the owner, and the chain shows it.
import { type Kysely, sql } from 'kysely'

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations are frozen in time and typed loosely
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('security_events').addColumn('prev_hash', 'bytea').addColumn('hash', 'bytea').execute()
  await sql`
    create function security_events_append_only() returns trigger language plpgsql as $$
    begin
      raise exception 'security_events is append-only' using errcode = '42501';
    end
    $$`.execute(db)
  await sql`create trigger security_events_no_update before update or delete on security_events for each row execute function security_events_append_only()`.execute(
    db,
  )
  await sql`create trigger security_events_no_truncate before truncate on security_events for each statement execute function security_events_append_only()`.execute(
    db,
  )
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop trigger security_events_no_truncate on security_events`.execute(db)
  await sql`drop trigger security_events_no_update on security_events`.execute(db)
  await sql`drop function security_events_append_only()`.execute(db)
  await db.schema.alterTable('security_events').dropColumn('hash').dropColumn('prev_hash').execute()
}
