// Runs once before the suite: picks the database (DATABASE_URL, else a throw-away embedded
// PostgreSQL), checks it answers, and hands its URL to every test file through `provide`.
// The integration and repo projects both name this setup; they share one database server (held on
// globalThis of the main vitest process) and the last one to finish stops it.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import pg from 'pg'
import type { TestProject } from 'vitest/node'
import { testDatabaseUrlFromEnv } from '../config/test-env.js'
import { randomSecret } from '../crypto/random.js'
import { startEmbeddedPostgres } from '../db/embedded.js'

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string
  }
}

interface SharedDatabase {
  url: Promise<string>
  users: number
  stop: () => Promise<void>
}

const holder = globalThis as { __testDatabase?: Promise<SharedDatabase> }

async function startDatabase(): Promise<SharedDatabase> {
  const fromEnv = testDatabaseUrlFromEnv()
  if (fromEnv !== undefined) return { url: Promise.resolve(fromEnv), users: 0, stop: async () => undefined }
  const dataDir = await mkdtemp(path.join(tmpdir(), 'sss-test-pg-'))
  const embedded = await startEmbeddedPostgres({ dataDir, password: randomSecret(18).toString('base64url'), persistent: false })
  return {
    url: Promise.resolve(embedded.url),
    users: 0,
    stop: async () => {
      await embedded.stop()
      await rm(dataDir, { recursive: true, force: true })
    },
  }
}

export async function setup(project: TestProject): Promise<void> {
  holder.__testDatabase ??= startDatabase()
  const shared = await holder.__testDatabase
  shared.users += 1
  const url = await shared.url
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 })
  try {
    await client.connect()
    await client.query('select 1')
  } catch {
    throw new Error('PostgreSQL does not answer at DATABASE_URL; start it or unset DATABASE_URL to use the embedded one')
  } finally {
    await client.end().catch(() => undefined)
  }
  project.provide('databaseUrl', url)
}

export async function teardown(): Promise<void> {
  if (holder.__testDatabase === undefined) return
  const shared = await holder.__testDatabase
  shared.users -= 1
  if (shared.users > 0) return
  holder.__testDatabase = undefined
  await shared.stop()
}
