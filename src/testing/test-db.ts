// One fresh schema per test file, migrated to the latest version and dropped afterwards, so test
// files never see each other's rows and can run in parallel against one real PostgreSQL.
import { sql } from 'kysely'
import { inject } from 'vitest'
import { randomSecret } from '../crypto/random.js'
import { createDb, type Db } from '../db/db.js'
import { migrateToLatest } from '../db/migrate.js'

export interface TestDb {
  db: Db
  url: string
  schema: string
  drop(): Promise<void>
}

/**
 * Kysely's migrator first introspects every table of the database; when another test file drops
 * its schema at that moment, PostgreSQL can answer 'schema "t_..." does not exist' for the other
 * file's schema (a catalog race between parallel files). Nothing was applied then: try again.
 */
async function migrateWithRetry(db: Db, schema: string): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await migrateToLatest(db, { schema })
      return
    } catch (err) {
      const cause = (err as { cause?: { message?: unknown } }).cause?.message
      const race = typeof cause === 'string' && /^schema "t_[0-9a-f]+" does not exist$/.test(cause)
      if (!race || attempt >= 5) throw err
      await new Promise((resolve) => setTimeout(resolve, 50 * attempt))
    }
  }
}

export async function createTestDb(opts: { maxConnections?: number } = {}): Promise<TestDb> {
  const url = inject('databaseUrl')
  const schema = `t_${randomSecret(6).toString('hex')}`
  const admin = createDb({ url, maxConnections: 1 })
  await sql`create schema ${sql.id(schema)}`.execute(admin)
  const db = createDb({ url, maxConnections: opts.maxConnections ?? 8, searchPath: schema })
  await migrateWithRetry(db, schema)
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
