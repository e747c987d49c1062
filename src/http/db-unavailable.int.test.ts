// When PostgreSQL does not answer, routes that need it answer 503 `unavailable` with Retry-After:
// nobody is let in, nobody is logged out, and nothing internal leaks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../app.js'
import { createDb } from '../db/db.js'
import { capturedLog } from '../testing/log-capture.js'
import { testDeps } from '../testing/test-app.js'

describe('database down', () => {
  let app: Awaited<ReturnType<typeof buildApp>>
  const { log, lines } = capturedLog()
  beforeAll(async () => {
    // Port 1 on loopback: connections are refused at once.
    app = await buildApp(await testDeps(createDb({ url: 'postgres://nobody@127.0.0.1:1/none', maxConnections: 2 }), { log }))
  })
  afterAll(async () => {
    await app.close()
  })

  it('answers /readyz 503 and /healthz 200', async () => {
    lines.length = 0 // only this test's lines
    const ready = await app.inject({ method: 'GET', url: '/readyz' })
    expect(ready.statusCode).toBe(503)
    expect(ready.json()).toEqual({ error: 'unavailable', message: 'Service temporarily unavailable; try again shortly' })
    expect(ready.headers['retry-after']).toBeDefined()
    // A successful probe writes no line, a failing one does (decision 0092).
    expect(lines.filter((l) => l.includes('"/readyz"') || l.includes('request failed') || l.includes('not ready'))).toHaveLength(1)
    // A warning that says why, without a stack (a failing probe repeats every few seconds).
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({
      level: 40,
      msg: 'not ready: the database does not answer',
      reason: expect.stringContaining('ECONNREFUSED'),
    })
    expect(lines[0]).not.toContain('"stack"')
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200)
  })

  it('answers a session request 503, not 401 (nobody is logged out)', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/me', headers: { cookie: `__Host-session=${'a'.repeat(43)}` } })
    expect(res.statusCode).toBe(503)
    expect(res.headers['retry-after']).toBeDefined()
    expect(res.body).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|pg|stack/i)
  })

  it('answers a login 503, not 401 (nobody is let in or refused wrongly)', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email: 'a@example.test', password: 'whatever password here' } })
    expect(res.statusCode).toBe(503)
    expect(res.json()).toMatchObject({ error: 'unavailable' })
  })
})
