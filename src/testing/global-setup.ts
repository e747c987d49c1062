// Runs once before the suite: picks the database (DATABASE_URL, else a throw-away embedded
// PostgreSQL), checks it answers, and hands its URL to every test file through `provide`.
// It also migrates a template database once: each test file's database is a copy of it
// (src/testing/test-db.ts), which costs PostgreSQL a third of running the migrations per file.
// The integration and repo projects both name this setup; they share one database server and one
// template (held on globalThis of the main vitest process) and the last one to finish drops them.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { sql } from 'kysely'
import pg from 'pg'
import type { TestProject } from 'vitest/node'
import { testDatabaseUrlFromEnv } from '../config/test-env.js'
import { randomSecret } from '../crypto/random.js'
import { createDb } from '../db/db.js'
import { startEmbeddedPostgres } from '../db/embedded.js'
import { ensureTenantRole } from '../db/grants.js'
import { migrateToLatest } from '../db/migrate.js'
import { testConfig } from './test-config.js'
import { databaseUrlFor, type TestTemplate } from './test-template.js'

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string
    testTemplate: TestTemplate
  }
}

interface SharedDatabase {
  url: Promise<string>
  template?: Promise<TestTemplate>
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

/**
 * A database of its own, migrated to the latest version in one schema, for CREATE DATABASE ...
 * TEMPLATE; with the test tenant role's grants in place, as every start of the app leaves them
 * (src/server.ts), so that an app test changes nothing in its structure (src/testing/test-db.ts).
 */
async function createTemplate(url: string): Promise<TestTemplate> {
  const prefix = `t_${randomSecret(6).toString('hex')}_`
  const template = { database: `${prefix}template`, schema: `t_${randomSecret(6).toString('hex')}`, prefix }
  const admin = createDb({ url, maxConnections: 1 })
  try {
    await sql`create database ${sql.id(template.database)}`.execute(admin)
  } finally {
    await admin.destroy()
  }
  // Nothing may stay connected to it: PostgreSQL copies a template only while no session uses it.
  const db = createDb({ url: databaseUrlFor(url, template.database), maxConnections: 1, searchPath: template.schema })
  try {
    await sql`create schema ${sql.id(template.schema)}`.execute(db)
    await migrateToLatest(db, { schema: template.schema })
    await ensureTenantRole(db, (await testConfig()).db.tenantRole, { schema: template.schema })
  } finally {
    await db.destroy()
  }
  return template
}

/** Drops the template and every test database of this run still there (the emptied ones each worker kept for reuse). */
async function dropRunDatabases(url: string, template: TestTemplate): Promise<void> {
  const admin = createDb({ url, maxConnections: 1 })
  try {
    const { rows } = await sql<{
      name: string
    }>`select datname as name from pg_database where left(datname, ${template.prefix.length}) = ${template.prefix}`.execute(admin)
    // The template last: none of the others was copied from it while it is dropped.
    for (const name of [...rows.map((r) => r.name).filter((n) => n !== template.database), template.database]) {
      await sql`drop database if exists ${sql.id(name)} with (force)`.execute(admin)
    }
  } finally {
    await admin.destroy()
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
  shared.template ??= createTemplate(url)
  project.provide('databaseUrl', url)
  project.provide('testTemplate', await shared.template)
}

export async function teardown(): Promise<void> {
  if (holder.__testDatabase === undefined) return
  const shared = await holder.__testDatabase
  shared.users -= 1
  if (shared.users > 0) return
  holder.__testDatabase = undefined
  const template = await shared.template?.catch(() => undefined)
  if (template !== undefined) await dropRunDatabases(await shared.url, template)
  await shared.stop()
}
