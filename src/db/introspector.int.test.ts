// The migrator's table check must not read, or race with, other schemas of the database
// (decision in src/db/introspector.ts): CI once failed with 'schema "t_..." does not exist' when
// one test file dropped its schema while another file's migrator scanned the whole catalog.
import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { createDb } from './db.js'
import { migrateToLatest } from './migrate.js'
import { useTestDb } from '../testing/test-db.js'

describe('introspection', () => {
  const t = useTestDb()

  it("lists only the search path's tables, not another schema's", async () => {
    // A second migrated schema in the same database: the same tables under another name.
    const otherSchema = `t_other_${process.pid}`
    await sql`create schema ${sql.id(otherSchema)}`.execute(t.db)
    const other = createDb({ url: t.url, maxConnections: 1, searchPath: otherSchema })
    try {
      expect(await migrateToLatest(other, { schema: otherSchema })).not.toEqual([])
      const tables = await t.db.introspection.getTables({ withInternalKyselyTables: true })
      expect(new Set(tables.map((x) => x.schema))).toEqual(new Set([t.schema]))
      expect(tables.map((x) => x.name)).toEqual(expect.arrayContaining(['accounts', 'kysely_migration']))
      expect(tables.find((x) => x.name === 'accounts')?.columns.map((c) => c.name)).toContain('email')
    } finally {
      await other.destroy()
      await sql`drop schema ${sql.id(otherSchema)} cascade`.execute(t.db)
    }
  })

  it('keeps answering while other schemas are created and dropped at the same time', async () => {
    const churn = (async () => {
      for (let i = 0; i < 15; i += 1) {
        const name = `t_churn_${i}_${process.pid}`
        await sql`create schema ${sql.id(name)}`.execute(t.db)
        await sql`create table ${sql.id(name)}.x (id int)`.execute(t.db)
        await sql`drop schema ${sql.id(name)} cascade`.execute(t.db)
      }
    })()
    const scans = Array.from({ length: 30 }, () => t.db.introspection.getTables())
    await expect(Promise.all([churn, ...scans])).resolves.toBeDefined()
  })
})
