// Organizations (tenants), their memberships and invitations; security events and API tokens learn
// which organization they belong to. These three tables are the tenancy directory: they decide who
// belongs where, so they are read across organizations (my organizations, an invitation by its
// token, the last-owner check at account deletion) and every query names org_id or account_id
// explicitly. Tenant *data* tables (projects and a fork's own) carry Row Level Security instead
// (docs/decisions/0050, docs/tenancy.md).
import { type Kysely, sql } from 'kysely'

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations are frozen in time and typed loosely
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('organizations')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('name', 'text', (c) => c.notNull().check(sql`char_length(name) between 1 and 100`))
    .addColumn('mfa_required', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
  // role is checked by the code (src/orgs/roles.ts), not by a CHECK, so a fork adds a role in one file.
  await db.schema
    .createTable('memberships')
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('account_id', 'uuid', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('memberships_pkey', ['org_id', 'account_id'])
    .execute()
  await db.schema.createIndex('memberships_account_idx').on('memberships').column('account_id').execute()
  await db.schema
    .createTable('invitations')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'bytea', (c) => c.notNull().unique()) // SHA-256 of the mailed token, never the token
    .addColumn('invited_by', 'uuid', (c) => c.references('accounts.id').onDelete('set null'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('accepted_at', 'timestamptz')
    .addColumn('revoked_at', 'timestamptz')
    .execute()
  await db.schema.createIndex('invitations_org_idx').on('invitations').columns(['org_id', 'created_at']).execute()
  // No foreign key: events outlive the organization, like they outlive accounts.
  await db.schema.alterTable('security_events').addColumn('org_id', 'uuid').addColumn('org_prev_hash', 'bytea').execute()
  await db.schema.createIndex('security_events_org_idx').on('security_events').columns(['org_id', 'id']).where(sql.ref('org_id'), 'is not', null).execute()
  // A token bound to an organization dies with it (never becomes an unbound token).
  await db.schema
    .alterTable('api_tokens')
    .addColumn('org_id', 'uuid', (c) => c.references('organizations.id').onDelete('cascade'))
    .execute()
  await db.schema.createIndex('api_tokens_org_idx').on('api_tokens').columns(['org_id', 'account_id']).where(sql.ref('org_id'), 'is not', null).execute()
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('api_tokens').dropColumn('org_id').execute()
  await db.schema.alterTable('security_events').dropColumn('org_prev_hash').dropColumn('org_id').execute()
  await db.schema.dropTable('invitations').execute()
  await db.schema.dropTable('memberships').execute()
  await db.schema.dropTable('organizations').execute()
}
