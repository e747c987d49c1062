// A request that sends an Authorization header and a password must leave neither in any log line,
// whatever the route does with them (here: a failed login, which logs a refusal).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../app.js'
import type { Deps } from '../deps.js'
import { testDeps } from '../testing/test-app.js'
import { useTestDb } from '../testing/test-db.js'
import { capturedLog } from '../testing/log-capture.js'

describe('log redaction', () => {
  const { log, lines } = capturedLog('trace')
  const testDb = useTestDb()
  let deps: Deps
  let app: Awaited<ReturnType<typeof buildApp>>

  beforeAll(async () => {
    deps = await testDeps(testDb.db, { env: { LOG_LEVEL: 'trace' }, log })
    app = await buildApp(deps)
  })
  afterAll(async () => {
    await app.close()
  })

  it('keeps the bearer token, cookie and password out of every line', async () => {
    await app.inject({
      method: 'POST',
      url: '/v1/auth/login?token=querysecret123',
      headers: { authorization: 'Bearer abc123secret', cookie: '__Host-session=cookiesecret456' },
      payload: { email: 'who@example.test', password: 'hunter2-password-secret' },
    })
    await app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email: 'who@example.test', password: 'hunter2-password-secret' } })
    const text = lines.join('')
    expect(lines.length).toBeGreaterThan(2)
    for (const secret of ['abc123secret', 'cookiesecret456', 'hunter2-password-secret', 'querysecret123']) expect(text).not.toContain(secret)
    expect(text).toContain('"reqId"')
    // Request lines still say what happened: method and path (no query string), and the status.
    expect(text).toContain('"req":{"method":"POST","path":"/v1/auth/login"')
    expect(text).toMatch(/"res":\{"statusCode":401\}/)
  })

  it('writes one access line per request, not two', async () => {
    const before = lines.length
    await app.inject({ method: 'GET', url: '/' })
    const written = lines.slice(before)
    expect(written).toHaveLength(1)
    expect(written[0]).toContain('"msg":"request completed"')
    expect(written[0]).toMatch(/"req":\{"method":"GET","path":"\/".*"res":\{"statusCode":200\}/)
  })

  it('writes one line for a refused request too, carrying its error code', async () => {
    const before = lines.length
    const res = await app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email: 'nobody@example.test', password: 'a wrong password here' } })
    expect(res.statusCode).toBe(401)
    const written = lines.slice(before).map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(written).toEqual([expect.objectContaining({ msg: 'request completed', error: 'invalid_credentials', res: { statusCode: 401 } })])
  })

  it('writes no line for a successful health probe, while metrics still count it (decision 0092)', async () => {
    const before = lines.length
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200)
    expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200)
    expect(lines.slice(before)).toEqual([])
    const metrics = await app.metricsRegistry.metrics()
    expect(metrics).toMatch(/http_requests_total\{method="GET",route="\/healthz",status_code="200"\} [1-9]/)
  })

  it('masks secret-named fields at any depth and bearer strings anywhere', () => {
    deps.log.info(
      { outer: { list: [{ deeper: { newPassword: 'deep-secret-1', note: 'Authorization: Bearer deep-secret-2' } }] }, sessionToken: 'deep-secret-3' },
      'Bearer deep-secret-4 in the message',
    )
    const last = lines.at(-1) ?? ''
    for (const secret of ['deep-secret-1', 'deep-secret-2', 'deep-secret-3', 'deep-secret-4']) expect(last).not.toContain(secret)
    expect(last).toContain('[REDACTED]')
  })
})
