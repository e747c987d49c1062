import { sql } from 'kysely'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { newId, randomSecret } from '../crypto/random.js'
import { grantAppRole } from '../db/grants.js'
import { createTestDb, useTestDb } from '../testing/test-db.js'
import { CHAIN_COUNT, verifyChain } from './audit-chain.js'
import { recordEvent } from './audit.service.js'

const meta = { ip: '192.0.2.1', userAgent: 'vitest' }

describe('audit trail: hash chain', () => {
  const t = useTestDb()

  it('chains events written in parallel without forking', async () => {
    const before = await verifyChain(t.db)
    await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        recordEvent(t.db, { type: 'login.failed', accountId: null, meta, at: new Date(), details: { n: i, z: 'a', a: 'z' } }),
      ),
    )
    expect(await verifyChain(t.db)).toEqual({ ok: true, events: before.events + 25 })
  })

  it('spreads accounts over several chains, keeps each account in one, and verifies them all', async () => {
    const before = await verifyChain(t.db)
    const accounts = Array.from({ length: 40 }, () => newId())
    await Promise.all(accounts.flatMap((accountId) => [1, 2].map(() => recordEvent(t.db, { type: 'login.failed', accountId, meta, at: new Date() }))))
    const rows = await t.db.selectFrom('security_events').select(['account_id', 'chain']).where('account_id', 'in', accounts).execute()
    const byAccount = new Map<string, Set<number>>()
    for (const r of rows) byAccount.set(r.account_id ?? '', (byAccount.get(r.account_id ?? '') ?? new Set()).add(r.chain))
    expect([...byAccount.values()].every((chains) => chains.size === 1)).toBe(true)
    expect(new Set(rows.map((r) => r.chain)).size).toBeGreaterThan(4)
    expect(await verifyChain(t.db)).toEqual({ ok: true, events: before.events + 80 })
  })

  it('refuses UPDATE and DELETE, even for the owner', async () => {
    // Row triggers fire only on a row: one to refuse.
    await recordEvent(t.db, { type: 'login.failed', accountId: null, meta, at: new Date() })
    await expect(sql`update security_events set type = 'x'`.execute(t.db)).rejects.toMatchObject({ code: '42501' })
    await expect(sql`delete from security_events`.execute(t.db)).rejects.toMatchObject({ code: '42501' })
    await expect(sql`truncate security_events`.execute(t.db)).rejects.toMatchObject({ code: '42501' })
  })

  it('names the first tampered row when the owner bypasses the trigger', async () => {
    // A database of its own: the chain stays broken after this test.
    const own = await createTestDb()
    try {
      for (let i = 0; i < 25; i += 1) await recordEvent(own.db, { type: 'login.failed', accountId: null, meta, at: new Date() })
      const target = await own.db.selectFrom('security_events').select('id').orderBy('id').offset(10).limit(1).executeTakeFirstOrThrow()
      await own.db.transaction().execute(async (trx) => {
        await sql`alter table security_events disable trigger security_events_no_update`.execute(trx)
        await sql`update security_events set ip = '203.0.113.9' where id = ${target.id}`.execute(trx)
        await sql`alter table security_events enable trigger security_events_no_update`.execute(trx)
      })
      expect(await verifyChain(own.db)).toEqual({ ok: false, events: 10, brokenAtId: target.id })
    } finally {
      await own.drop()
    }
  })

  it('names a row moved to another chain', async () => {
    const db = await createTestDb()
    try {
      for (let i = 0; i < 6; i += 1) await recordEvent(db.db, { type: 'login.failed', accountId: newId(), meta, at: new Date() })
      const target = await db.db.selectFrom('security_events').select(['id', 'chain']).orderBy('id').offset(3).limit(1).executeTakeFirstOrThrow()
      await db.db.transaction().execute(async (trx) => {
        await sql`alter table security_events disable trigger security_events_no_update`.execute(trx)
        await sql`update security_events set chain = ${(target.chain + 1) % CHAIN_COUNT} where id = ${target.id}`.execute(trx)
        await sql`alter table security_events enable trigger security_events_no_update`.execute(trx)
      })
      expect(await verifyChain(db.db)).toMatchObject({ ok: false })
    } finally {
      await db.drop()
    }
  })
})

describe('least-privilege app role', () => {
  const t = useTestDb()
  const role = `sss_app_${randomSecret(4).toString('hex')}`
  const password = randomSecret(12).toString('hex')
  let client: pg.Client
  beforeAll(async () => {
    await sql`create role ${sql.id(role)} login password ${sql.lit(password)}`.execute(t.db)
    expect(await grantAppRole(t.db, role, t.schema)).toBe(true)
    const url = new URL(t.url)
    url.username = role
    url.password = password
    client = new pg.Client({ connectionString: url.toString(), options: `-c search_path=${t.schema}` })
    await client.connect()
  })
  afterAll(async () => {
    await client.end()
    await sql`drop owned by ${sql.id(role)}`.execute(t.db)
    await sql`drop role ${sql.id(role)}`.execute(t.db)
  })

  it('reads and writes rows, appends events, but cannot alter the schema or rewrite the audit trail', async () => {
    await client.query("insert into accounts (email, password_hash) values ('role@example.test', 'x')")
    expect((await client.query('select count(*)::int as n from accounts')).rows[0].n).toBe(1)
    await client.query("insert into security_events (type) values ('login.failed')")
    await expect(client.query("update security_events set type = 'x'")).rejects.toMatchObject({ code: '42501' })
    await expect(client.query('delete from security_events')).rejects.toMatchObject({ code: '42501' })
    await expect(client.query('alter table accounts add column evil int')).rejects.toMatchObject({ code: '42501' })
    await expect(client.query('create table evil (id int)')).rejects.toMatchObject({ code: '42501' })
    await expect(client.query('delete from kysely_migration')).rejects.toMatchObject({ code: '42501' })
  })

  it('does nothing for a role that does not exist', async () => {
    expect(await grantAppRole(t.db, 'no_such_role_here', t.schema)).toBe(false)
  })
})
