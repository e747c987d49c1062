// projects: the example tenant-owned table a fork copies (docs/tenancy.md). Every tenant table has
// org_id and a Row Level Security policy keyed on the transaction's app.org_id setting; FORCE makes
// the policy bind the table owner too, so only a superuser or a BYPASSRLS role could read across
// organizations, and the app serves tenant requests as neither (src/db/tenant.ts, decision 0050).
import { type Kysely, sql } from 'kysely'

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations are frozen in time and typed loosely
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('projects')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull().check(sql`char_length(name) between 1 and 100`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('projects_org_idx').on('projects').columns(['org_id', 'created_at']).execute()
  await sql`alter table projects enable row level security`.execute(db)
  await sql`alter table projects force row level security`.execute(db)
  // Unset or empty app.org_id matches nothing (NULL), so a query outside an org transaction sees no row.
  await sql`
    create policy projects_tenant_isolation on projects
      using (org_id = nullif(current_setting('app.org_id', true), '')::uuid)
      with check (org_id = nullif(current_setting('app.org_id', true), '')::uuid)`.execute(db)
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('projects').execute()
}
