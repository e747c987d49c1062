// An unexpected error becomes a generic 500 in the error model: no message, stack or SQL leaks,
// and the request id lets an operator find the logged details.
import { describe, expect, it } from 'vitest'
import { buildApp } from '../app.js'
import { CommonErrors } from '../errors.js'
import { capturedLog } from '../testing/log-capture.js'
import { testDeps } from '../testing/test-app.js'
import { useTestDb } from '../testing/test-db.js'

describe('unexpected errors', () => {
  const testDb = useTestDb()

  it('answer 500 internal_error with nothing internal, and are logged with the request id', async () => {
    const { log, lines } = capturedLog()
    const app = await buildApp(await testDeps(testDb.db, { log }))
    app.get('/boom', async () => {
      throw new Error('relation "secret_table" does not exist at /srv/app/src/x.ts:12')
    })
    try {
      const res = await app.inject({ method: 'GET', url: '/boom' })
      expect(res.statusCode).toBe(500)
      expect(res.json()).toEqual({ error: 'internal_error', message: 'Internal server error' })
      expect(res.body).not.toContain('secret_table')
      const logged = lines.find((l) => l.includes('"request failed"'))
      expect(logged).toContain(res.headers['x-request-id'] as string)
      expect(logged).toContain('secret_table')
    } finally {
      await app.close()
    }
  })

  // Found by an operator pass: with Redis down, every login's fail-closed 503 (which the throttle
  // already reports in a warning line of its own) also wrote an ERROR line with a stack.
  it('log a 503 unavailable raised on purpose (a throttle failing closed) as a refusal, without a stack', async () => {
    const { log, lines } = capturedLog()
    const app = await buildApp(await testDeps(testDb.db, { log }))
    app.get('/closed', async () => {
      throw CommonErrors.unavailable(5)
    })
    try {
      const res = await app.inject({ method: 'GET', url: '/closed' })
      expect(res.statusCode).toBe(503)
      expect(res.headers['retry-after']).toBe('5')
      const records = lines.map((l) => JSON.parse(l) as { level: number; msg: string; error?: string })
      expect(records.filter((r) => r.level >= 50)).toEqual([])
      expect(records).toContainEqual(expect.objectContaining({ msg: 'request completed', error: 'unavailable' }))
    } finally {
      await app.close()
    }
  })

  it('log load shedding as a refusal, not as an error with a stack: a flood must not flood the error log', async () => {
    const { log, lines } = capturedLog()
    const deps = await testDeps(testDb.db, {
      env: { PASSWORD_HASH_CONCURRENCY: '1', PASSWORD_HASH_QUEUE_MAX: '0' },
      log,
    })
    const app = await buildApp(deps)
    let release: () => void = () => undefined
    const held = (deps.hasher as unknown as { withSlot: (w: () => Promise<unknown>) => Promise<unknown> }).withSlot(
      () => new Promise<void>((r) => (release = r)),
    )
    try {
      const res = await app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email: 'a@example.test', password: 'some password guess' } })
      expect(res.statusCode).toBe(503)
      const refused = lines.map((l) => JSON.parse(l) as { level: number; msg: string; error?: string; err?: unknown; res?: unknown })
      expect(refused.filter((l) => l.level >= 50)).toEqual([])
      // One line: the access line, which carries the refusal's code.
      expect(refused).toEqual([expect.objectContaining({ level: 30, msg: 'request completed', error: 'unavailable', res: { statusCode: 503 } })])
    } finally {
      release()
      await held
      await app.close()
    }
  })
})
