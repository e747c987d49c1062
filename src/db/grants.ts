// Least privilege for the application's database role (OWASP ASVS 5.0 V13.2.2): migrations run as
// the schema owner; the app's role may read and write rows but not alter the schema, and may only
// append to security_events. Re-applied after every migration run, so new tables are covered.
import { sql } from 'kysely'
import type { Db } from './db.js'

const ROLE = /^[a-z_][a-z0-9_]{0,62}$/

/** Grants `role` row access in `schema`; false (and nothing done) when the role does not exist. */
export async function grantAppRole(db: Db, role: string, schema = 'public'): Promise<boolean> {
  if (!ROLE.test(role) || !ROLE.test(schema)) throw new Error('invalid role or schema name')
  const exists = await sql<{ n: number }>`select count(*)::int as n from pg_roles where rolname = ${role}`.execute(db)
  if (exists.rows[0]?.n !== 1) return false
  const r = sql.id(role)
  const s = sql.id(schema)
  await sql`revoke create on schema ${s} from ${r}`.execute(db)
  await sql`grant usage on schema ${s} to ${r}`.execute(db)
  await sql`grant select, insert, update, delete on all tables in schema ${s} to ${r}`.execute(db)
  await sql`grant usage, select on all sequences in schema ${s} to ${r}`.execute(db)
  await sql`revoke update, delete, truncate on ${sql.table(`${schema}.security_events`)} from ${r}`.execute(db)
  // The migration bookkeeping belongs to the owner alone.
  await sql`revoke all on ${sql.table(`${schema}.kysely_migration`)}, ${sql.table(`${schema}.kysely_migration_lock`)} from ${r}`.execute(db)
  return true
}

/** The role this connection logs in as, and whether it is a superuser (or may bypass row security). */
export async function connectedRole(db: Db): Promise<{ name: string; superuser: boolean }> {
  const { rows } = await sql<{
    name: string
    superuser: boolean
  }>`select rolname as name, (rolsuper or rolbypassrls) as superuser from pg_roles where rolname = current_user`.execute(db)
  return { name: rows[0]?.name ?? 'unknown', superuser: rows[0]?.superuser ?? false }
}

/** The app refuses to serve in production as a superuser: a SQL injection would own the cluster (docs/decisions/0075). */
export class PrivilegedDatabaseRoleError extends Error {
  constructor(role: string) {
    super(
      `DATABASE_URL: connects as ${role}, a superuser; production serves as a role with row access only (the migration job owns the schema): docs/runbooks/deploy.md`,
    )
    this.name = 'PrivilegedDatabaseRoleError'
  }
}

export async function assertNotSuperuser(db: Db): Promise<void> {
  const role = await connectedRole(db)
  if (role.superuser) throw new PrivilegedDatabaseRoleError(role.name)
}
// Names the advisory lock that serialises creating the tenant role (roles are cluster-wide; parallel
// test files and instances may all try at once).
const TENANT_ROLE_LOCK = 7_342_050

function isDuplicate(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  return code === '42710' || code === '23505' || code === 'XX000'
}

/**
 * Creates the tenant role if missing (NOLOGIN NOINHERIT NOBYPASSRLS), gives it the app role's row
 * access in `schema`, and lets `appRole` and the connecting role switch to it. Tenant transactions run
 * as this role (src/db/tenant.ts), so Row Level Security binds them even when the pool connects as a
 * superuser or the tables' owner. Idempotent and safe to run from parallel processes. Throws when the
 * role exists with SUPERUSER or BYPASSRLS, since it would then defeat the isolation it exists for.
 */
export async function ensureTenantRole(db: Db, role: string, opts: { appRole?: string; schema?: string } = {}): Promise<void> {
  const schema = opts.schema ?? 'public'
  if (!ROLE.test(role) || !ROLE.test(schema)) throw new Error('invalid role or schema name')
  // Everything under one advisory lock, so parallel callers on this database grant in turn (GRANTs on
  // one object at once fail with "tuple concurrently updated"). Advisory locks are per database: a
  // caller on another database of the cluster may create the role at the same moment; then retry once.
  for (let attempt = 1; ; attempt += 1) {
    try {
      await db.transaction().execute(async (trx) => {
        await sql`select pg_advisory_xact_lock(${TENANT_ROLE_LOCK})`.execute(trx)
        const found = await sql<{ n: number }>`select count(*)::int as n from pg_roles where rolname = ${role}`.execute(trx)
        if (found.rows[0]?.n !== 1) await sql`create role ${sql.id(role)} nologin noinherit nobypassrls`.execute(trx)
        const { rows } = await sql<{ rolsuper: boolean; rolbypassrls: boolean }>`select rolsuper, rolbypassrls from pg_roles where rolname = ${role}`.execute(
          trx,
        )
        if (rows[0] === undefined || rows[0].rolsuper || rows[0].rolbypassrls) throw new Error(`tenant role ${role} must exist without SUPERUSER and BYPASSRLS`)
        await grantAppRole(trx, role, schema)
        const members = await sql<{ name: string }>`
          select rolname as name from pg_roles
          where (rolname = ${opts.appRole ?? ''} or (rolname = current_user and not rolsuper))
            and not pg_has_role(rolname, ${role}, 'MEMBER')`.execute(trx)
        for (const member of members.rows) await sql`grant ${sql.id(role)} to ${sql.id(member.name)}`.execute(trx)
      })
      return
    } catch (err) {
      if (attempt >= 3 || !isDuplicate(err)) throw err
    }
  }
}
