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
import { migrateToLatest } from '../db/migrate.js'
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

/** A database of its own, migrated to the latest version in one schema, for CREATE DATABASE ... TEMPLATE. */
async function createTemplate(url: string): Promise<TestTemplate> {
  const template = { database: `t_template_${randomSecret(6).toString('hex')}`, schema: `t_${randomSecret(6).toString('hex')}` }
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
  } finally {
    await db.destroy()
  }
  return template
}

async function dropTemplate(url: string, template: TestTemplate): Promise<void> {
  const admin = createDb({ url, maxConnections: 1 })
  try {
    await sql`drop database if exists ${sql.id(template.database)} with (force)`.execute(admin)
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
  if (template !== undefined) await dropTemplate(await shared.url, template)
  await shared.stop()
}
