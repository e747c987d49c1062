// The audit hash chain becomes several chains (docs/decisions/0069): each event names the chain it
// links into, so appends to different chains no longer wait for one global lock. Existing rows
// are chain 0, so their links stay valid; the column has a constant default (no table rewrite).
import { type Kysely, sql } from 'kysely'

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations are frozen in time and typed loosely
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('security_events')
    .addColumn('chain', 'smallint', (c) => c.notNull().defaultTo(sql`0`))
    .execute()
  // The head of one chain: its newest row.
  await db.schema.createIndex('security_events_chain_idx').on('security_events').columns(['chain', 'id']).execute()
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('security_events_chain_idx').execute()
  await db.schema.alterTable('security_events').dropColumn('chain').execute()
}
