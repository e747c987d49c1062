// Database-level tenant isolation (ASVS 5.0 V8.4.1): Row Level Security holds a query to the
// organization of its transaction even when the query forgets its WHERE clause, and a query outside
// any organization transaction sees nothing, although the tests connect as a superuser.
import { sql } from 'kysely'
import { beforeAll, describe, expect, it } from 'vitest'
import { randomSecret } from '../crypto/random.js'
import { testConfig } from '../testing/test-config.js'
import { type TestDb, useTestDb } from '../testing/test-db.js'
import { ensureTenantRole } from './grants.js'
import { withTenant } from './tenant.js'

describe('Row Level Security on tenant-owned tables', () => {
  const t = useTestDb()
  let deps: { db: TestDb['db']; config: Awaited<ReturnType<typeof testConfig>> }
  const orgs: string[] = []
  beforeAll(async () => {
    const config = await testConfig()
    await ensureTenantRole(t.db, config.db.tenantRole, { schema: t.schema })
    deps = { db: t.db, config }
    const now = new Date()
    for (const name of ['A', 'B']) {
      const org = await t.db.insertInto('organizations').values({ name, created_at: now }).returning('id').executeTakeFirstOrThrow()
      orgs.push(org.id)
      await withTenant(deps, org.id, async (trx) => {
        await trx
          .insertInto('projects')
          .values([1, 2, 3].map((n) => ({ org_id: org.id, name: `${name}${n}`, created_at: now, updated_at: now })))
          .execute()
      })
    }
  })

  it('returns only the rows of the current organization to a query with its WHERE clause removed', async () => {
    const [a, b] = orgs as [string, string]
    const seenByA = await withTenant(deps, a, (trx) => trx.selectFrom('projects').select(['org_id', 'name']).orderBy('name').execute())
    expect(seenByA.map((r) => r.name)).toEqual(['A1', 'A2', 'A3'])
    expect(new Set(seenByA.map((r) => r.org_id))).toEqual(new Set([a]))
    const seenByB = await withTenant(deps, b, (trx) => sql<{ n: number }>`select count(*)::int as n from projects`.execute(trx))
    expect(seenByB.rows[0]?.n).toBe(3)
    // Writes are held too: no row of another organization can be changed, deleted or inserted.
    const updated = await withTenant(deps, a, (trx) => trx.updateTable('projects').set({ name: 'hijacked' }).where('org_id', '=', b).executeTakeFirst())
    expect(updated.numUpdatedRows).toBe(0n)
    const deleted = await withTenant(deps, a, (trx) => trx.deleteFrom('projects').executeTakeFirst())
    expect(deleted.numDeletedRows).toBe(3n)
    await expect(
      withTenant(deps, a, (trx) => trx.insertInto('projects').values({ org_id: b, name: 'planted', created_at: new Date(), updated_at: new Date() }).execute()),
    ).rejects.toMatchObject({ code: '42501' })
    const bRows = await withTenant(deps, b, (trx) => trx.selectFrom('projects').select('name').orderBy('name').execute())
    expect(bRows.map((r) => r.name)).toEqual(['B1', 'B2', 'B3'])
  })

  it('returns no row to a query outside an organization transaction, even for the owner of the table', async () => {
    // The test connection is a superuser (which RLS never binds); the tenant role is what the app
    // serves tenant requests as. As that role, without app.org_id, nothing is visible.
    const outside = await t.db.transaction().execute(async (trx) => {
      await sql`select set_config('role', ${deps.config.db.tenantRole}, true)`.execute(trx)
      return sql<{ n: number }>`select count(*)::int as n from projects`.execute(trx)
    })
    expect(outside.rows[0]?.n).toBe(0)
    // The table's owner is bound as well (FORCE ROW LEVEL SECURITY).
    const flags = await sql<{
      relrowsecurity: boolean
      relforcerowsecurity: boolean
    }>`select relrowsecurity, relforcerowsecurity from pg_class where oid = ${`${t.schema}.projects`}::regclass`.execute(t.db)
    expect(flags.rows[0]).toEqual({ relrowsecurity: true, relforcerowsecurity: true })
    // And the settings die with the transaction: the pooled connection carries nothing over.
    const after = await t.db
      .transaction()
      .execute((trx) =>
        sql<{ org: string | null; who: string }>`select nullif(current_setting('app.org_id', true), '') as org, current_user as who`.execute(trx),
      )
    expect(after.rows[0]?.org).toBeNull()
    expect(after.rows[0]?.who).not.toBe(deps.config.db.tenantRole)
  })

  it('switches to a role that cannot bypass Row Level Security and owns no table', async () => {
    const role = await sql<{ rolsuper: boolean; rolbypassrls: boolean; owned: number }>`
      select r.rolsuper, r.rolbypassrls, (select count(*)::int from pg_tables where tableowner = r.rolname) as owned
      from pg_roles r where r.rolname = ${deps.config.db.tenantRole}`.execute(t.db)
    expect(role.rows[0]).toEqual({ rolsuper: false, rolbypassrls: false, owned: 0 })
    const who = await withTenant(deps, orgs[0] as string, (trx) => sql<{ who: string }>`select current_user as who`.execute(trx))
    expect(who.rows[0]?.who).toBe(deps.config.db.tenantRole)
  })

  it('creates the tenant role safely from many parallel callers', async () => {
    const fresh = `sss_tenant_${randomSecret(4).toString('hex')}`
    try {
      await Promise.all(Array.from({ length: 6 }, () => ensureTenantRole(t.db, fresh, { schema: t.schema })))
      const found = await sql<{ n: number }>`select count(*)::int as n from pg_roles where rolname = ${fresh} and not rolcanlogin and not rolbypassrls`.execute(
        t.db,
      )
      expect(found.rows[0]?.n).toBe(1)
    } finally {
      await sql`drop owned by ${sql.id(fresh)}`.execute(t.db)
      await sql`drop role if exists ${sql.id(fresh)}`.execute(t.db)
    }
  })
})
