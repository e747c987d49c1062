// The app never holds the database superuser (docs/decisions/0075): production refuses to serve as
// one, and the one-shot migration job needs nothing but the migration URL.
import { sql } from 'kysely'
import { childProcessPath } from '../config/test-env.js'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { loadMigrationConfig } from '../config/migration-config.js'
import { randomSecret } from '../crypto/random.js'
import { runTs } from '../testing/run-ts.js'
import { createDb, type Db } from './db.js'
import { assertNotSuperuser, connectedRole, PrivilegedDatabaseRoleError } from './grants.js'

const KEY_A = `k1:${Buffer.alloc(32, 7).toString('base64url')}`
const KEY_B = `k2:${Buffer.alloc(32, 9).toString('base64url')}`

describe('the database role the app serves as', () => {
  const url = inject('databaseUrl')
  const role = `t_role_${randomSecret(5).toString('hex')}`
  const password = randomSecret(16).toString('hex')
  let admin: Db
  let asRole: Db

  beforeAll(async () => {
    admin = createDb({ url, maxConnections: 1 })
    await sql`create role ${sql.id(role)} login nosuperuser nocreatedb nocreaterole password ${sql.lit(password)}`.execute(admin)
    const roleUrl = new URL(url)
    roleUrl.username = role
    roleUrl.password = password
    asRole = createDb({ url: roleUrl.toString(), maxConnections: 1 })
  })
  afterAll(async () => {
    await asRole.destroy()
    await sql`drop role if exists ${sql.id(role)}`.execute(admin)
    await admin.destroy()
  })

  it('is recognised as a superuser or not', async () => {
    expect(await connectedRole(admin)).toMatchObject({ superuser: true })
    expect(await connectedRole(asRole)).toEqual({ name: role, superuser: false })
    await expect(assertNotSuperuser(admin)).rejects.toBeInstanceOf(PrivilegedDatabaseRoleError)
    await expect(assertNotSuperuser(asRole)).resolves.toBeUndefined()
  })

  /** `npm start` in production against `databaseUrl`, every other setting valid. */
  const productionStart = (databaseUrl: string) =>
    runTs('src/server.ts', [], {
      env: {
        PATH: childProcessPath(),
        NODE_ENV: 'production',
        DATABASE_URL: databaseUrl,
        PUBLIC_ORIGIN: 'https://a.example',
        DATA_KEYS: KEY_A,
        TOKEN_HMAC_KEYS: KEY_B,
        PORT: '0',
        LOG_LEVEL: 'silent',
      },
      timeout: 60_000,
    })

  it('production `npm start` as a superuser stops with one line naming the role, never the URL', async () => {
    const result = await productionStart(url)
    expect(result).toMatchObject({ code: 1 })
    const stderr = result.stderr.trim()
    expect(stderr).toMatch(/^configuration error: DATABASE_URL: connects as \S+, a superuser; production serves as a role with row access only/)
    expect(stderr.split('\n')).toHaveLength(1)
    expect(stderr).not.toContain(url)
  })

  // Found by an operator pass: with the database down at start, production warned that "the pool
  // reconnects on the next query", then died in the warm-up with a bare "fatal: connect ECONNREFUSED".
  it('production `npm start` with the database down stops with one line that says so, never the URL', async () => {
    const downPassword = randomSecret(8).toString('hex')
    const down = `postgres://app:${downPassword}@127.0.0.1:1/app`
    const result = await productionStart(down)
    expect(result).toMatchObject({ code: 1 })
    const stderr = result.stderr.trim()
    expect(stderr).toMatch(/^fatal: the database does not answer \(.*ECONNREFUSED.*\); exiting so that the supervisor starts the process again$/)
    expect(stderr.split('\n')).toHaveLength(1)
    expect(stderr).not.toContain(downPassword)
  })
})

describe('loadMigrationConfig (the migration job)', () => {
  it('needs only the migration URL in production: no key ring, no public origin', async () => {
    const config = await loadMigrationConfig(
      { NODE_ENV: 'production', DATABASE_MIGRATION_URL: 'postgres://app_owner@db/app' },
      { runtime: { inContainer: true } },
    )
    expect(config).toEqual({ env: 'production', url: 'postgres://app_owner@db/app', appRole: 'app', tenantRole: 'app_tenant' })
    await expect(loadMigrationConfig({ NODE_ENV: 'production' }, { runtime: { inContainer: true } })).rejects.toThrow(
      /^DATABASE_MIGRATION_URL: required in production/,
    )
    await expect(
      loadMigrationConfig({ NODE_ENV: 'production', DATABASE_MIGRATION_URL: 'postgres://a@db/app', DATABASE_APP_ROLE: 'app; drop' }),
    ).rejects.toThrow(/^DATABASE_APP_ROLE/)
  })
})
