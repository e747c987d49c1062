import { sql } from 'kysely'
import { beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../app.js'
import { createDb, PREPARED_MARKER } from '../db/db.js'
import { createAccount, createApiToken, sessionFor, signedIn } from '../testing/factories.js'
import { useCountingApp, useTestApp } from '../testing/test-app.js'

describe('one database round trip per authenticated request', () => {
  const t = useTestApp()
  // Counts the statements sent to PostgreSQL, however they were built (query builder or raw text).
  const counted = useCountingApp(t)
  let accountId: string
  let cookie: string
  let token: string
  beforeAll(async () => {
    accountId = (await createAccount(t, { email: 'round-trip@example.test' })).id
    cookie = await sessionFor(t, accountId)
    token = await createApiToken(t, cookie, ['account:read'])
  })

  it('answers GET /v1/me by cookie and by token with one statement each, touching last-seen at most once a minute', async () => {
    for (const headers of [{ cookie }, { authorization: `Bearer ${token}` }]) {
      for (let i = 0; i < 3; i += 1) {
        counted.statements = 0
        const res = await counted.app.inject({ method: 'GET', url: '/v1/me', headers })
        expect(res.statusCode).toBe(200)
        expect(res.json()).toMatchObject({ email: 'round-trip@example.test', emailVerified: true, mfaEnabled: false })
        expect(counted.statements).toBe(1)
      }
    }
    const ownSession = () => t.deps.db.selectFrom('sessions').select('last_seen_at').where('account_id', '=', accountId).executeTakeFirstOrThrow()
    const session = await ownSession()
    t.clock.advance(61)
    await counted.app.inject({ method: 'GET', url: '/v1/me', headers: { cookie } })
    const later = await ownSession()
    expect(later.last_seen_at.getTime() - session.last_seen_at.getTime()).toBe(61_000)
  })

  it('refuses a deleted session and a revoked token on the very next request (nothing cached)', async () => {
    const other = await createAccount(t, { email: 'round-trip-2@example.test' })
    const otherCookie = await sessionFor(t, other.id)
    const otherToken = await createApiToken(t, otherCookie, ['account:read'])
    expect((await counted.app.inject({ method: 'GET', url: '/v1/me', headers: { cookie: otherCookie } })).statusCode).toBe(200)
    expect((await counted.app.inject({ method: 'GET', url: '/v1/me', headers: { authorization: `Bearer ${otherToken}` } })).statusCode).toBe(200)
    await t.deps.db.deleteFrom('sessions').where('account_id', '=', other.id).execute()
    expect((await counted.app.inject({ method: 'GET', url: '/v1/me', headers: { cookie: otherCookie } })).statusCode).toBe(401)
    await t.deps.db.updateTable('api_tokens').set({ revoked_at: t.clock.now() }).where('account_id', '=', other.id).execute()
    expect((await counted.app.inject({ method: 'GET', url: '/v1/me', headers: { authorization: `Bearer ${otherToken}` } })).statusCode).toBe(401)
  })

  it('runs the lookup as a named prepared statement (parsed and planned once per connection)', async () => {
    const single = createDb({ url: t.testDb.url, maxConnections: 1, searchPath: t.testDb.schema })
    const app = await buildApp({ ...t.deps, db: single })
    try {
      const cookie2 = await signedIn(t, 'round-trip-3@example.test')
      for (let i = 0; i < 2; i += 1) expect((await app.inject({ method: 'GET', url: '/v1/me', headers: { cookie: cookie2 } })).statusCode).toBe(200)
      const { rows } = await sql<{ name: string; statement: string }>`select name, statement from pg_prepared_statements`.execute(single)
      expect(rows.some((r) => r.name.startsWith('sss_') && r.statement.startsWith(PREPARED_MARKER) && r.statement.includes('from sessions'))).toBe(true)
    } finally {
      await app.close()
      await single.destroy()
    }
  })
})
