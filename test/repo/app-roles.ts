// The roles of a fresh install, for the repo tests that act as them: a throw-away database of its
// own, set up by infra/postgres/create-app-role.sh run as the superuser exactly as the postgres
// container runs it (psql, passwords read from files), with role names of this run only (roles are
// cluster-wide, and other test files use the default names at the same time).
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import pg from 'pg'

const run = promisify(execFile)
const SCRIPT = path.resolve('infra/postgres/create-app-role.sh')

export interface AppRoles {
  readonly database: string
  readonly owner: string
  readonly app: string
  readonly tenant: string
  /** The database as the superuser the suite connects as, as the owner, and as the app. */
  readonly adminUrl: string
  readonly ownerUrl: string
  readonly appUrl: string
}

export async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end()
  }
}

/** Whether psql is on PATH (the role script needs it). */
export async function psqlInstalled(): Promise<boolean> {
  return run('psql', ['--version']).then(
    () => true,
    () => false,
  )
}

function urlFor(base: string, database: string, user?: { name: string; password: string }): string {
  const url = new URL(base)
  url.pathname = `/${database}`
  if (user !== undefined) {
    url.username = user.name
    url.password = user.password
  }
  return url.toString()
}

/** Creates `database` (dropped first if there) and runs the role script in it as the superuser of `serverUrl`. */
export async function createAppRoles(serverUrl: string, database: string): Promise<AppRoles> {
  const prefix = `${database}_`
  const names = { owner: `${prefix}owner`, app: `${prefix}app`, tenant: `${prefix}tenant` }
  const passwords = { owner: randomBytes(12).toString('hex'), app: randomBytes(12).toString('hex') }
  await withClient(serverUrl, async (c) => {
    await c.query(`drop database if exists ${c.escapeIdentifier(database)} with (force)`)
    await c.query(`create database ${c.escapeIdentifier(database)}`)
  })
  const secrets = await mkdtemp(path.join(tmpdir(), 'sss-roles-'))
  try {
    await writeFile(path.join(secrets, 'owner_db_password'), `${passwords.owner}\n`, { mode: 0o600 })
    await writeFile(path.join(secrets, 'app_db_password'), `${passwords.app}\n`, { mode: 0o600 })
    const server = new URL(serverUrl)
    const vars = {
      PGHOST: decodeURIComponent(server.hostname),
      PGPORT: server.port || '5432',
      PGPASSWORD: decodeURIComponent(server.password),
      POSTGRES_USER: decodeURIComponent(server.username),
      POSTGRES_DB: database,
      ROLE_SECRETS_DIR: secrets,
      DATABASE_OWNER_ROLE: names.owner,
      DATABASE_APP_ROLE: names.app,
      DATABASE_TENANT_ROLE: names.tenant,
    }
    // Through env(1), as backup-drill.test.ts runs its scripts: the test never reads process.env.
    await run('env', [...Object.entries(vars).map(([k, v]) => `${k}=${v}`), 'bash', SCRIPT], { timeout: 30_000 })
  } finally {
    await rm(secrets, { recursive: true, force: true })
  }
  return {
    database,
    ...names,
    adminUrl: urlFor(serverUrl, database),
    ownerUrl: urlFor(serverUrl, database, { name: names.owner, password: passwords.owner }),
    appUrl: urlFor(serverUrl, database, { name: names.app, password: passwords.app }),
  }
}

/** Drops the databases named and then the roles (nothing else of the cluster depends on them). */
export async function dropAppRoles(serverUrl: string, roles: Pick<AppRoles, 'owner' | 'app' | 'tenant'>, databases: string[]): Promise<void> {
  await withClient(serverUrl, async (c) => {
    for (const name of databases) await c.query(`drop database if exists ${c.escapeIdentifier(name)} with (force)`)
    for (const role of [roles.tenant, roles.app, roles.owner]) await c.query(`drop role if exists ${c.escapeIdentifier(role)}`)
  })
}
