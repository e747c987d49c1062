// An unexpected error becomes a generic 500 in the error model: no message, stack or SQL leaks,
// and the request id lets an operator find the logged details.
import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { buildApp } from '../app.js'
import { createLogger } from '../logging/logger.js'
import { testDeps } from '../testing/test-app.js'
import { useTestDb } from '../testing/test-db.js'

describe('unexpected errors', () => {
  const testDb = useTestDb()

  it('answer 500 internal_error with nothing internal, and are logged with the request id', async () => {
    const lines: string[] = []
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString())
        done()
      },
    })
    const app = await buildApp(await testDeps(testDb.db, { log: createLogger({ level: 'info', pretty: false }, sink) }))
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
})
