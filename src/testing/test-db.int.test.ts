// The test databases a worker hands on from one file to the next (src/testing/test-db.ts): the
// next file gets no row of the last, and a database whose structure a test changed is dropped,
// never handed on.
import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { createTestDb, type TestDb } from './test-db.js'

async function databaseName(t: TestDb): Promise<string> {
  const { rows } = await sql<{ name: string }>`select current_database() as name`.execute(t.db)
  return rows[0]?.name ?? ''
}

describe('test databases handed on', () => {
  it('hands an emptied database on: no row is left, identities start again, the audit trail is still append-only', async () => {
    const first = await createTestDb()
    const name = await databaseName(first)
    await first.db
      .insertInto('accounts')
      .values({ email: 'left@example.test', password_hash: 'x', created_at: new Date(), password_changed_at: new Date() })
      .execute()
    await sql`insert into security_events (type) values ('login.failed')`.execute(first.db)
    await first.drop()

    const second = await createTestDb()
    try {
      expect(await databaseName(second)).toBe(name)
      expect(await second.db.selectFrom('accounts').select('id').execute()).toEqual([])
      const { rows } = await sql<{ id: string }>`insert into security_events (type) values ('login.failed') returning id::text as id`.execute(second.db)
      expect(rows[0]?.id).toBe('1')
      await expect(sql`truncate security_events`.execute(second.db)).rejects.toMatchObject({ code: '42501' })
      // The migrations' bookkeeping keeps its rows.
      const migrations = await sql<{ n: number }>`select count(*)::int as n from kysely_migration`.execute(second.db)
      expect(migrations.rows[0]?.n).toBeGreaterThan(0)
    } finally {
      await second.drop()
    }
  })

  const changes: [string, (db: TestDb['db'], database: string) => Promise<unknown>][] = [
    ['a dropped trigger', (db) => sql`drop trigger security_events_no_truncate on security_events`.execute(db)],
    ['a database setting', (db, database) => sql`alter database ${sql.id(database)} set work_mem = '8MB'`.execute(db)],
    ['a grant', (db) => sql`grant select on accounts to public`.execute(db)],
    ['a migration undone', (db) => sql`delete from kysely_migration where name = (select max(name) from kysely_migration)`.execute(db)],
  ]
  it.each(changes)('drops a database after %s, and the next file gets a copy of the template', async (_change, change) => {
    const first = await createTestDb()
    const name = await databaseName(first)
    await change(first.db, name)
    await first.drop()

    const next = await createTestDb()
    try {
      expect(await databaseName(next)).not.toBe(name)
      const gone = await sql<{ n: number }>`select count(*)::int as n from pg_database where datname = ${name}`.execute(next.db)
      expect(gone.rows[0]?.n).toBe(0)
      await expect(sql`truncate security_events`.execute(next.db)).rejects.toMatchObject({ code: '42501' })
    } finally {
      await next.drop()
    }
  })
})
