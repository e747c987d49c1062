// One fresh schema per test file, migrated to the latest version and dropped afterwards, so test
// files never see each other's rows and can run in parallel against one real PostgreSQL.
// useTestDb() registers that for the calling file; createTestDb() is for a test that needs more.
import { sql } from 'kysely'
import { afterAll, beforeAll, inject } from 'vitest'
import { randomSecret } from '../crypto/random.js'
import { createDb, type Db } from '../db/db.js'
import { migrateToLatest } from '../db/migrate.js'

export interface TestDb {
  db: Db
  url: string
  schema: string
  drop(): Promise<void>
}

export async function createTestDb(opts: { maxConnections?: number } = {}): Promise<TestDb> {
  const url = inject('databaseUrl')
  const schema = `t_${randomSecret(6).toString('hex')}`
  const admin = createDb({ url, maxConnections: 1 })
  await sql`create schema ${sql.id(schema)}`.execute(admin)
  const db = createDb({ url, maxConnections: opts.maxConnections ?? 8, searchPath: schema })
  await migrateToLatest(db, { schema })
  return {
    db,
    url,
    schema,
    drop: async () => {
      await db.destroy()
      await sql`drop schema ${sql.id(schema)} cascade`.execute(admin)
      await admin.destroy()
    },
  }
}

/** Registers beforeAll/afterAll for a schema of the calling file; the returned object is filled in before the first test. */
export function useTestDb(opts: { maxConnections?: number } = {}): TestDb {
  const holder = {} as TestDb
  beforeAll(async () => {
    Object.assign(holder, await createTestDb(opts))
  })
  afterAll(async () => {
    await holder.drop?.()
  })
  return holder
}
