// The backup drill, against the real PostgreSQL: rows -> infra/backup/backup.sh -> drop the
// database -> infra/backup/restore.sh -> the rows are back. It works on a database of its own
// (backup_drill_<random>), created and dropped here, so it never touches another test's schema.
// The database is set up as in production (test/repo/app-roles.ts: infra/postgres/create-app-role.sh,
// then the migrations as the owner), the backup runs as the owner role as the runbook says
// (docs/runbooks/restore-backup.md), over a projects table under FORCE ROW LEVEL SECURITY, and the
// restore runs as the superuser and puts back the database-level grants the dump does not hold.
import { execFile } from 'node:child_process'
import { randomBytes, randomUUID } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { createDb } from '../../src/db/db.js'
import { ensureTenantRole, grantAppRole } from '../../src/db/grants.js'
import { migrateToLatest } from '../../src/db/migrate.js'
import { type AppRoles, createAppRoles, dropAppRoles, psqlInstalled, withClient } from './app-roles.js'

const run = promisify(execFile)
const BACKUP = path.resolve('infra/backup/backup.sh')
const RESTORE = path.resolve('infra/backup/restore.sh')
const MARKER = 'drill-row-ünïcødé-🔑'

/**
 * Runs a script with extra environment variables (via env(1): the test never reads process.env),
 * without the suite's own DATABASE_URL: the scripts refuse it beside DATABASE_URL_FILE.
 */
function runScript(script: string, vars: Record<string, string>, args: string[]) {
  const assignments = Object.entries(vars).map(([k, v]) => `${k}=${v}`)
  return run('env', ['-u', 'DATABASE_URL', '-u', 'DATABASE_URL_FILE', ...assignments, 'bash', script, ...args], { timeout: 60_000 })
}

/** The role names restore.sh checks and grants (the production defaults are app_owner, app, app_tenant). */
function roleNames(roles: AppRoles): Record<string, string> {
  return { DATABASE_OWNER_ROLE: roles.owner, DATABASE_APP_ROLE: roles.app, DATABASE_TENANT_ROLE: roles.tenant }
}

async function toolMajor(tool: string): Promise<number | undefined> {
  try {
    const { stdout } = await run(tool, ['--version'])
    const match = /\d+/.exec(stdout)
    return match ? Number(match[0]) : undefined
  } catch {
    return undefined
  }
}

// One drill in steps, in order: the later steps use the backup the first one wrote (never shuffled).
describe('infra/backup drill (backup -> drop -> restore)', { shuffle: false }, () => {
  const adminUrl = inject('databaseUrl')
  const dbName = `backup_drill_${randomBytes(6).toString('hex')}`
  const drillUrl = (() => {
    const url = new URL(adminUrl)
    url.pathname = `/${dbName}`
    return url.toString()
  })()
  let dir = ''
  let keyFile = ''
  /** A file holding the owner's URL: backup.sh reads it as DATABASE_URL_FILE, as the runbook says. */
  let ownerUrlFile = ''
  let roles: AppRoles | undefined
  const projectId = randomUUID()
  let skipReason: string | undefined

  const recreateEmpty = async () =>
    withClient(adminUrl, async (c) => {
      await c.query(`drop database if exists ${c.escapeIdentifier(dbName)} with (force)`)
      await c.query(`create database ${c.escapeIdentifier(dbName)}`)
    })
  interface DrillRow {
    id: number
    label: string
    secret: Buffer
  }
  const readRows = async () => withClient(drillUrl, async (c) => (await c.query<DrillRow>('select id, label, secret from drill order by id')).rows)
  // As the superuser, which Row Level Security does not bind.
  const readProjects = async () =>
    withClient(drillUrl, async (c) => (await c.query<{ id: string; name: string }>('select id, name from projects order by id')).rows)

  beforeAll(async () => {
    const dumpMajor = await toolMajor('pg_dump')
    const restoreMajor = await toolMajor('pg_restore')
    const gpgMajor = await toolMajor('gpg')
    const serverMajor = await withClient(adminUrl, async (c) =>
      Math.floor((await c.query<{ v: number }>("select current_setting('server_version_num')::int as v")).rows[0]!.v / 10_000),
    )
    if (dumpMajor === undefined || restoreMajor === undefined) skipReason = 'pg_dump/pg_restore not on PATH (install the PostgreSQL client)'
    else if (gpgMajor === undefined) skipReason = 'gpg not on PATH (install gnupg)'
    else if (!(await psqlInstalled())) skipReason = 'psql not on PATH (install the PostgreSQL client)'
    else if (dumpMajor < serverMajor)
      skipReason = `pg_dump ${dumpMajor} cannot dump a PostgreSQL ${serverMajor} server; set DATABASE_URL to a server of version ${dumpMajor} or older`
    if (skipReason !== undefined) return

    dir = await mkdtemp(path.join(tmpdir(), 'sss-backup-drill-'))
    keyFile = path.join(dir, 'backup.key')
    await writeFile(keyFile, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 })
    roles = await createAppRoles(adminUrl, dbName)
    ownerUrlFile = path.join(dir, 'database_migration_url')
    await writeFile(ownerUrlFile, `${roles.ownerUrl}\n`, { mode: 0o600 })
    // What the migration job leaves behind: the schema, owned by the owner, and the grants.
    const owner = createDb({ url: roles.ownerUrl, maxConnections: 1 })
    try {
      await migrateToLatest(owner)
      await grantAppRole(owner, roles.app)
      await ensureTenantRole(owner, roles.tenant, { appRole: roles.app })
    } finally {
      await owner.destroy()
    }
    await withClient(roles.ownerUrl, async (c) => {
      await c.query('create table drill (id integer primary key, label text not null, secret bytea not null)')
      for (let id = 1; id <= 50; id++) {
        await c.query('insert into drill values ($1, $2, $3)', [id, `${MARKER}-${id}`, randomBytes(16)])
      }
    })
    // A tenant row: projects is under FORCE ROW LEVEL SECURITY, which binds its owner too.
    await withClient(drillUrl, async (c) => {
      const org = randomUUID()
      await c.query(`insert into organizations (id, name) values ($1, 'drill org')`, [org])
      await c.query(`insert into projects (id, org_id, name, created_at, updated_at) values ($1, $2, $3, now(), now())`, [projectId, org, `${MARKER}-project`])
    })
  })

  afterAll(async () => {
    if (skipReason !== undefined) return
    if (roles !== undefined) await dropAppRoles(adminUrl, roles, [dbName])
    await rm(dir, { recursive: true, force: true })
  })

  it('restores every row after the database is dropped, from a file that holds no plaintext', async (ctx) => {
    ctx.skip(skipReason !== undefined, skipReason)
    const r = roles!
    const before = await readRows()
    const projects = await readProjects()
    expect(projects).toEqual([{ id: projectId, name: `${MARKER}-project` }])
    const file = path.join(dir, 'drill.dump.gpg')

    // As the owner role (not the superuser), from the migration URL's file, as the runbook says.
    await runScript(BACKUP, { DATABASE_URL_FILE: ownerUrlFile, BACKUP_KEY_FILE: keyFile, ...roleNames(r) }, [file])
    const bytes = await readFile(file)
    expect(bytes.includes(Buffer.from('drill-row'))).toBe(false)
    expect(bytes.includes(Buffer.from('PGDMP'))).toBe(false) // the custom-format magic: not visible
    expect(bytes[0]! & 0x80).toBe(0x80) // an OpenPGP packet header

    await recreateEmpty()
    await expect(withClient(drillUrl, (c) => c.query('select 1 from drill'))).rejects.toThrow(/does not exist/)

    await runScript(RESTORE, { DATABASE_URL: drillUrl, BACKUP_KEY_FILE: keyFile, ...roleNames(r) }, [file])
    const after = await readRows()
    expect(after).toHaveLength(50)
    expect(after).toEqual(before)
    expect(await readProjects()).toEqual(projects)
    // What the dump does not hold, put back by restore.sh: who may connect to the database.
    const access = await withClient(
      drillUrl,
      async (c) =>
        (
          await c.query<Record<string, boolean>>(
            `select has_database_privilege('public', current_database(), 'CONNECT') as public_connect,
                    has_database_privilege($1, current_database(), 'CONNECT') as app_connect,
                    has_database_privilege($1, current_database(), 'TEMPORARY') as app_temp,
                    has_database_privilege($2, current_database(), 'CONNECT, TEMPORARY') as owner_connect,
                    has_schema_privilege('public', 'public', 'CREATE') as public_create,
                    has_schema_privilege($1, 'public', 'USAGE') as app_usage,
                    (select nspowner::regrole::text from pg_namespace where nspname = 'public') = $2 as owner_owns_public,
                    has_table_privilege($3, 'projects', 'SELECT, INSERT, UPDATE, DELETE') as tenant_rows`,
            [r.app, r.owner, r.tenant],
          )
        ).rows[0],
    )
    expect(access).toEqual({
      public_connect: false,
      app_connect: true,
      app_temp: false,
      owner_connect: true,
      public_create: false,
      app_usage: true,
      owner_owns_public: true,
      tenant_rows: true,
    })
    // The app may connect again.
    expect(await withClient(r.appUrl, async (c) => (await c.query<{ n: number }>('select 1 as n')).rows)).toEqual([{ n: 1 }])
  })

  it('refuses to restore as the owner role, before touching the database, and says who restores', async (ctx) => {
    ctx.skip(skipReason !== undefined, skipReason)
    const r = roles!
    await expect(
      runScript(RESTORE, { DATABASE_URL_FILE: ownerUrlFile, BACKUP_KEY_FILE: keyFile, ...roleNames(r) }, [path.join(dir, 'drill.dump.gpg'), '--clean']),
    ).rejects.toMatchObject({ stderr: expect.stringMatching(/restore as the superuser/) })
    expect(await readRows()).toHaveLength(50)
  })

  it('refuses a tampered backup before touching the database', async (ctx) => {
    ctx.skip(skipReason !== undefined, skipReason)
    // A damaged copy of the first test's backup, restored into an empty database of its own: the
    // drill database keeps its rows, so nothing has to be backed up or restored again afterwards.
    const file = path.join(dir, 'tamper.dump.gpg')
    const bytes = await readFile(path.join(dir, 'drill.dump.gpg'))
    bytes[bytes.length - 40]! ^= 0x01
    await writeFile(file, bytes)

    const emptyName = `${dbName}_empty`
    const emptyUrl = new URL(drillUrl)
    emptyUrl.pathname = `/${emptyName}`
    await withClient(adminUrl, (c) => c.query(`create database ${c.escapeIdentifier(emptyName)}`))
    try {
      await expect(runScript(RESTORE, { DATABASE_URL: emptyUrl.toString(), BACKUP_KEY_FILE: keyFile, ...roleNames(roles!) }, [file])).rejects.toMatchObject({
        stderr: expect.stringMatching(/decryption failed/),
      })
      const tables = await withClient(
        emptyUrl.toString(),
        async (c) => (await c.query<{ n: number }>("select count(*)::int as n from pg_tables where schemaname = 'public'")).rows[0]!.n,
      )
      expect(tables).toBe(0)
    } finally {
      await withClient(adminUrl, (c) => c.query(`drop database if exists ${c.escapeIdentifier(emptyName)} with (force)`))
    }
  })

  it('refuses the wrong key and a short key', async (ctx) => {
    ctx.skip(skipReason !== undefined, skipReason)
    const wrongKey = path.join(dir, 'wrong.key')
    await writeFile(wrongKey, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 })
    await expect(
      runScript(RESTORE, { DATABASE_URL: drillUrl, BACKUP_KEY_FILE: wrongKey, ...roleNames(roles!) }, [path.join(dir, 'drill.dump.gpg'), '--clean']),
    ).rejects.toMatchObject({
      stderr: expect.stringMatching(/decryption failed/),
    })
    expect(await readRows()).toHaveLength(50)

    const shortKey = path.join(dir, 'short.key')
    await writeFile(shortKey, 'too-short\n', { mode: 0o600 })
    await expect(runScript(BACKUP, { DATABASE_URL: drillUrl, BACKUP_KEY_FILE: shortKey }, [path.join(dir, 'short.gpg')])).rejects.toMatchObject({
      stderr: expect.stringMatching(/at least 32 characters/),
    })
  })

  it('restores over existing tables only with --clean', async (ctx) => {
    ctx.skip(skipReason !== undefined, skipReason)
    const file = path.join(dir, 'drill.dump.gpg')
    await withClient(drillUrl, (c) => c.query('delete from drill where id > 10'))
    await expect(runScript(RESTORE, { DATABASE_URL: drillUrl, BACKUP_KEY_FILE: keyFile, ...roleNames(roles!) }, [file])).rejects.toMatchObject({ code: 1 })
    expect(await readRows()).toHaveLength(10) // the failed restore changed nothing (one transaction)
    await runScript(RESTORE, { DATABASE_URL: drillUrl, BACKUP_KEY_FILE: keyFile, ...roleNames(roles!) }, [file, '--clean'])
    expect(await readRows()).toHaveLength(50)
  })
})
