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

/**
 * The role this connection logs in as, and whether it is a superuser. BYPASSRLS alone does not
 * count here: the schema owner has it (infra/postgres/create-app-role.sh), so that backups and data
 * migrations see every row; the app's role must not have it (assertNotSuperuser).
 */
export async function connectedRole(db: Db): Promise<{ name: string; superuser: boolean }> {
  const { rows } = await sql<{
    name: string
    superuser: boolean
  }>`select rolname as name, rolsuper as superuser from pg_roles where rolname = current_user`.execute(db)
  return { name: rows[0]?.name ?? 'unknown', superuser: rows[0]?.superuser ?? false }
}

/**
 * The app refuses to serve in production as a superuser (a SQL injection would own the cluster) or
 * as a role that bypasses Row Level Security (docs/decisions/0075).
 */
export class PrivilegedDatabaseRoleError extends Error {
  constructor(role: string, what = 'a superuser') {
    super(
      `DATABASE_URL: connects as ${role}, ${what}; production serves as a role with row access only (the migration job owns the schema): docs/runbooks/deploy.md`,
    )
    this.name = 'PrivilegedDatabaseRoleError'
  }
}

export async function assertNotSuperuser(db: Db): Promise<void> {
  const { rows } = await sql<{
    name: string
    rolsuper: boolean
    rolbypassrls: boolean
  }>`select rolname as name, rolsuper, rolbypassrls from pg_roles where rolname = current_user`.execute(db)
  const role = rows[0]
  if (role?.rolsuper === true) throw new PrivilegedDatabaseRoleError(role.name)
  if (role?.rolbypassrls === true) throw new PrivilegedDatabaseRoleError(role.name, 'a role with BYPASSRLS')
}

// Names the advisory lock that serialises creating the tenant role (roles are cluster-wide; parallel
// test files and instances may all try at once).
const TENANT_ROLE_LOCK = 7_342_050

function isDuplicate(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  return code === '42710' || code === '23505' || code === 'XX000'
}

/** What to run as the superuser when `owner` (the migrating role) may not create or grant the tenant role. */
function createTenantRoleHint(role: string, owner: string, appRole: string | undefined): string {
  const grantApp = appRole === undefined ? '' : ` GRANT ${role} TO ${appRole};`
  return (
    `as the superuser, run infra/postgres/create-app-role.sh on a new cluster, or on an existing one ` +
    `CREATE ROLE ${role} NOLOGIN NOINHERIT NOBYPASSRLS; GRANT ${role} TO ${owner} WITH ADMIN OPTION;${grantApp} (docs/runbooks/deploy.md)`
  )
}

/**
 * Creates the tenant role if missing (NOLOGIN NOINHERIT NOBYPASSRLS), gives it the app role's row
 * access in `schema`, and lets `appRole` and the connecting role switch to it. Tenant transactions run
 * as this role (src/db/tenant.ts), so Row Level Security binds them even when the pool connects as a
 * superuser or the tables' owner. Idempotent and safe to run from parallel processes. Throws when the
 * role exists with SUPERUSER or BYPASSRLS, since it would then defeat the isolation it exists for.
 * Needs CREATEROLE only to create the role: in production the superuser's role script creates it and
 * grants it to the owner WITH ADMIN OPTION and to the app (infra/postgres/create-app-role.sh), and the
 * owner, which has no CREATEROLE, only grants it row access here. When the role is missing or a
 * membership is missing and the connecting role may not grant it, the error says what to run.
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
        // Creating the role takes CREATEROLE; granting it, its ADMIN OPTION (or CREATEROLE, or a superuser).
        const me = await sql<{ name: string; create: boolean }>`
          select rolname as name, (rolsuper or rolcreaterole) as create from pg_roles where rolname = current_user`.execute(trx)
        const owner = me.rows[0]?.name ?? 'the connecting role'
        if (found.rows[0]?.n !== 1) {
          if (me.rows[0]?.create !== true)
            throw new Error(`tenant role ${role} does not exist, and ${owner} may not create roles: ${createTenantRoleHint(role, owner, opts.appRole)}`)
          await sql`create role ${sql.id(role)} nologin noinherit nobypassrls`.execute(trx)
        }
        const { rows } = await sql<{ rolsuper: boolean; rolbypassrls: boolean }>`select rolsuper, rolbypassrls from pg_roles where rolname = ${role}`.execute(
          trx,
        )
        if (rows[0] === undefined || rows[0].rolsuper || rows[0].rolbypassrls) throw new Error(`tenant role ${role} must exist without SUPERUSER and BYPASSRLS`)
        await grantAppRole(trx, role, schema)
        const members = await sql<{ name: string }>`
          select rolname as name from pg_roles
          where (rolname = ${opts.appRole ?? ''} or (rolname = current_user and not rolsuper))
            and not pg_has_role(rolname, ${role}, 'MEMBER')`.execute(trx)
        const admin =
          members.rows.length === 0 ||
          me.rows[0]?.create === true ||
          (await sql<{ ok: boolean }>`select pg_has_role(current_user, ${role}, 'MEMBER WITH ADMIN OPTION') as ok`.execute(trx)).rows[0]?.ok === true
        if (!admin) {
          const names = members.rows.map((m) => m.name).join(', ')
          throw new Error(`tenant role ${role}: ${names} must be granted it, and ${owner} may not: ${createTenantRoleHint(role, owner, opts.appRole)}`)
        }
        for (const member of members.rows) await sql`grant ${sql.id(role)} to ${sql.id(member.name)}`.execute(trx)
      })
      return
    } catch (err) {
      if (attempt >= 3 || !isDuplicate(err)) throw err
    }
  }
}
