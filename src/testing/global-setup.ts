// Runs once before the suite: picks the database (DATABASE_URL, else a throw-away embedded
// PostgreSQL), checks it answers, and hands its URL to every test file through `provide`.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import pg from 'pg'
import type { TestProject } from 'vitest/node'
import { testDatabaseUrlFromEnv } from '../config/test-env.js'
import { randomSecret } from '../crypto/random.js'
import { type EmbeddedPostgres, startEmbeddedPostgres } from '../db/embedded.js'

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string
  }
}

let embedded: EmbeddedPostgres | undefined
let dataDir: string | undefined

export async function setup(project: TestProject): Promise<void> {
  let url = testDatabaseUrlFromEnv()
  if (url === undefined) {
    dataDir = await mkdtemp(path.join(tmpdir(), 'sss-test-pg-'))
    embedded = await startEmbeddedPostgres({ dataDir, password: randomSecret(18).toString('base64url'), persistent: false })
    url = embedded.url
  }
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
  await embedded?.stop()
  if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true })
}
