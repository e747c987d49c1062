// A fresh install as docs/runbooks/deploy.md describes it: infra/postgres/create-app-role.sh run by
// the superuser on an empty database, then the one-shot migration job as the owner role (not a
// superuser, no CREATEROLE) in production mode. The job must succeed and leave the tenant role ready
// for the tenant routes: the app may switch to it, and Row Level Security binds it.
import { randomBytes, randomUUID } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { childProcessPath } from '../../src/config/test-env.js'
import { createDb } from '../../src/db/db.js'
import { assertNotSuperuser, connectedRole, ensureTenantRole, PrivilegedDatabaseRoleError } from '../../src/db/grants.js'
import { runTs } from '../../src/testing/run-ts.js'
import { type AppRoles, createAppRoles, dropAppRoles, psqlInstalled, withClient } from './app-roles.js'

describe('a fresh install: the role script, then the migration job as the owner', { shuffle: false }, () => {
  const serverUrl = inject('databaseUrl')
  const database = `fresh_install_${randomBytes(6).toString('hex')}`
  let roles: AppRoles | undefined
  let dir = ''
  let skipReason: string | undefined

  beforeAll(async () => {
    if (!(await psqlInstalled())) {
      skipReason = 'psql not on PATH (install the PostgreSQL client)'
      return
    }
    dir = await mkdtemp(path.join(tmpdir(), 'sss-fresh-install-'))
    roles = await createAppRoles(serverUrl, database)
  })

  afterAll(async () => {
    if (roles !== undefined) await dropAppRoles(serverUrl, roles, [database])
    if (dir !== '') await rm(dir, { recursive: true, force: true })
  })

  it('creates the owner without CREATEROLE, and the tenant role NOLOGIN NOINHERIT NOBYPASSRLS, held by the owner and the app', async (ctx) => {
    ctx.skip(skipReason !== undefined, skipReason)
    const r = roles!
    const attributes = await withClient(
      serverUrl,
      async (c) =>
        (
          await c.query<{ name: string; login: boolean; inherit: boolean; bypassrls: boolean; createrole: boolean; superuser: boolean }>(
            `select rolname as name, rolcanlogin as login, rolinherit as inherit, rolbypassrls as bypassrls, rolcreaterole as createrole,
                    rolsuper as superuser
               from pg_roles where rolname = any($1) order by rolname`,
            [[r.owner, r.app, r.tenant]],
          )
        ).rows,
    )
    expect(attributes).toEqual([
      { name: r.app, login: true, inherit: false, bypassrls: false, createrole: false, superuser: false },
      { name: r.owner, login: true, inherit: true, bypassrls: true, createrole: false, superuser: false },
      { name: r.tenant, login: false, inherit: false, bypassrls: false, createrole: false, superuser: false },
    ])
    const membership = await withClient(
      serverUrl,
      async (c) =>
        (
          await c.query<{ app: boolean; owner_admin: boolean }>(
            `select pg_has_role($1, $3, 'MEMBER') as app, pg_has_role($2, $3, 'MEMBER WITH ADMIN OPTION') as owner_admin`,
            [r.app, r.owner, r.tenant],
          )
        ).rows[0],
    )
    expect(membership).toEqual({ app: true, owner_admin: true })
  })

  it('migrates as the owner in production mode, grants the app and the tenant role, and warns of nothing', async (ctx) => {
    ctx.skip(skipReason !== undefined, skipReason)
    const r = roles!
    const urlFile = path.join(dir, 'database_migration_url')
    await writeFile(urlFile, `${r.ownerUrl}\n`, { mode: 0o600 })
    const result = await runTs('src/db/migrate-cli.ts', ['up'], {
      env: {
        PATH: childProcessPath(),
        NODE_ENV: 'production',
        DATABASE_MIGRATION_URL_FILE: urlFile,
        DATABASE_APP_ROLE: r.app,
        DATABASE_TENANT_ROLE: r.tenant,
      },
      timeout: 60_000,
    })
    expect(result.stderr).toBe('')
    expect(result).toMatchObject({ code: 0 })
    expect(result.stdout).toContain(`granted row access to role ${r.app}`)
    expect(result.stdout).not.toMatch(/warning/)
    // A second run (the next release) changes nothing and still succeeds.
    const again = await runTs('src/db/migrate-cli.ts', ['up'], {
      env: { PATH: childProcessPath(), NODE_ENV: 'production', DATABASE_MIGRATION_URL_FILE: urlFile, DATABASE_APP_ROLE: r.app, DATABASE_TENANT_ROLE: r.tenant },
      timeout: 60_000,
    })
    expect(again).toMatchObject({ code: 0, stderr: '' })
  })

  it('lets the app switch to the tenant role, which sees the rows of its organization only (what withTenant does)', async (ctx) => {
    ctx.skip(skipReason !== undefined, skipReason)
    const r = roles!
    const [orgA, orgB] = [randomUUID(), randomUUID()]
    await withClient(r.adminUrl, (c) => c.query(`insert into organizations (id, name) values ($1, 'a'), ($2, 'b')`, [orgA, orgB]))
    const seen = await withClient(r.appUrl, async (c) => {
      const inOrg = async (org: string, sql: string) => {
        await c.query('begin')
        try {
          await c.query(`select set_config('app.org_id', $1, true), set_config('role', $2, true)`, [org, r.tenant])
          return (await c.query<{ n: number }>(sql)).rows[0]?.n
        } finally {
          await c.query('commit')
        }
      }
      await inOrg(orgA, `insert into projects (org_id, name, created_at, updated_at) values ('${orgA}', 'p', now(), now()) returning 1 as n`)
      return {
        a: await inOrg(orgA, 'select count(*)::int as n from projects'),
        b: await inOrg(orgB, 'select count(*)::int as n from projects'),
        // The app itself (no tenant transaction) sees no row: FORCE ROW LEVEL SECURITY, app.org_id unset.
        outside: (await c.query<{ n: number }>('select count(*)::int as n from projects')).rows[0]?.n,
      }
    })
    expect(seen).toEqual({ a: 1, b: 0, outside: 0 })
  })

  it('counts the owner as no superuser for the job, yet the app may not serve as it (BYPASSRLS)', async (ctx) => {
    ctx.skip(skipReason !== undefined, skipReason)
    const r = roles!
    const owner = createDb({ url: r.ownerUrl, maxConnections: 1 })
    const app = createDb({ url: r.appUrl, maxConnections: 1 })
    try {
      expect(await connectedRole(owner)).toEqual({ name: r.owner, superuser: false })
      await expect(assertNotSuperuser(owner)).rejects.toThrow(PrivilegedDatabaseRoleError)
      await expect(assertNotSuperuser(owner)).rejects.toThrow(`connects as ${r.owner}, a role with BYPASSRLS;`)
      await expect(assertNotSuperuser(app)).resolves.toBeUndefined()
    } finally {
      await owner.destroy()
      await app.destroy()
    }
  })

  it('without CREATEROLE, names the script to run when the tenant role is missing', async (ctx) => {
    ctx.skip(skipReason !== undefined, skipReason)
    const r = roles!
    const db = createDb({ url: r.ownerUrl, maxConnections: 1 })
    try {
      await expect(ensureTenantRole(db, `${database}_missing`, { appRole: r.app })).rejects.toThrow(
        new RegExp(`tenant role ${database}_missing does not exist.*infra/postgres/create-app-role\\.sh`),
      )
    } finally {
      await db.destroy()
    }
  })
})
