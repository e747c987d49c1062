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

  // PostgreSQL plans a prepared statement anew for each of its first five runs, then keeps one
  // generic plan when that plan costs no more than the ones made for the values: a statement whose
  // estimate depends on its values (an array of candidates) was planned anew on every request, which
  // cost more than running it (the token path ran at half the cookie path's rate; docs/benchmarks.md).
  it('runs each lookup as a named prepared statement, parsed once per connection and planned once it is warm', async () => {
    const single = createDb({ url: t.testDb.url, maxConnections: 1, searchPath: t.testDb.schema })
    const app = await buildApp({ ...t.deps, db: single })
    // The same connection behind a ring whose new key is active and whose old one is retiring.
    const ring = t.deps.config.keys.tokenHmac
    const rotating = { activeId: 'test2', keys: new Map([['test2', Buffer.alloc(32, 9)], ...ring.keys]) }
    const rotatingApp = await buildApp({ ...t.deps, db: single, config: { ...t.deps.config, keys: { ...t.deps.config.keys, tokenHmac: rotating } } })
    try {
      const cookie2 = await signedIn(t, 'round-trip-3@example.test')
      const token2 = await createApiToken(t, cookie2, ['account:read'])
      // A table of a size worth an index, with statistics, as in production: the plan choice
      // depends on them (a nearly empty table made either plan look as cheap).
      await sql`insert into api_tokens (account_id, name, token_hash, key_id, scopes, expires_at)
        select ${accountId}, 'filler', sha256(int4send(n)), 'test1', '{account:read}', now() + interval '1 day'
        from generate_series(1, 20000) as n`.execute(single)
      await sql`analyze api_tokens`.execute(single)
      const bearer = { authorization: `Bearer ${token2}` }
      for (const [server, headers] of [
        [app, { cookie: cookie2 }],
        [app, bearer],
        [rotatingApp, bearer],
      ] as const) {
        for (let i = 0; i < 12; i += 1) expect((await server.inject({ method: 'GET', url: '/v1/me', headers })).statusCode).toBe(200)
      }
      const { rows } = await sql<{ statement: string; generic_plans: number; custom_plans: number }>`
        select statement, generic_plans, custom_plans from pg_prepared_statements where name like 'sss\_%'`.execute(single)
      const plans = (text: string) => {
        const found = rows.filter((r) => r.statement.startsWith(PREPARED_MARKER) && r.statement.includes(text))
        return found.map((r) => ({ planned: r.custom_plans, generic: r.generic_plans > 0 }))
      }
      const warm = [{ planned: 5, generic: true }]
      expect({ session: plans('from sessions'), oneKey: plans('key_id = $4)) and'), twoKeys: plans('key_id = $6)) and') }).toEqual({
        session: warm,
        oneKey: warm,
        twoKeys: warm,
      })
    } finally {
      await app.close()
      await rotatingApp.close()
      await single.destroy()
    }
  })
})
