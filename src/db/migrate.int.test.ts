import { readdir } from 'node:fs/promises'
import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { migrations } from '../../migrations/index.js'
import { useTestDb } from '../testing/test-db.js'
import { MIGRATIONS_DIR, migrateDown, migrateToLatest } from './migrate.js'

describe('migrations', () => {
  const t = useTestDb()

  it('lists every file of migrations/ in migrations/index.ts, in name order', async () => {
    const files = (await readdir(MIGRATIONS_DIR)).filter((f) => /^\d{12}_.+\.ts$/.test(f) && !f.endsWith('.test.ts')).map((f) => f.replace(/\.ts$/, ''))
    expect(Object.keys(migrations)).toEqual(files.sort())
  })

  it('is at the latest version after createTestDb, and a second run does nothing', async () => {
    expect(await migrateToLatest(t.db, { schema: t.schema })).toEqual([])
    const tables = await sql<{ table_name: string }>`select table_name from information_schema.tables where table_schema = ${t.schema}`.execute(t.db)
    expect(tables.rows.map((r) => r.table_name)).toEqual(expect.arrayContaining(['accounts', 'sessions', 'security_events', 'email_outbox', 'one_time_tokens']))
  })

  it('can step the newest migration down and up again', async () => {
    const down = await migrateDown(t.db, { schema: t.schema })
    expect(down).toHaveLength(1)
    const up = await migrateToLatest(t.db, { schema: t.schema })
    expect(up).toHaveLength(1)
  })
})
