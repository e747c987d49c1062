// A dropped database connection is logged in one line, not as a dump of the pg client object that
// pg-pool hangs on the error (connection parameters, type parsers, socket state).
import { sql } from 'kysely'
import { inject } from 'vitest'
import { afterAll, describe, expect, it } from 'vitest'
import { capturedLog } from '../testing/log-capture.js'
import { createDb, describePoolError } from './db.js'

describe('a dropped pooled connection', () => {
  const url = inject('databaseUrl')
  const admin = createDb({ url, maxConnections: 1 })
  afterAll(async () => {
    await admin.destroy()
  })

  it('is logged as one line with the server message and SQLSTATE (pg_terminate_backend)', async () => {
    const { log, lines } = capturedLog()
    let resolveLost: () => void = () => undefined
    const lost = new Promise<void>((resolve) => (resolveLost = resolve))
    // The same wiring as src/server.ts.
    const db = createDb({
      url,
      maxConnections: 1,
      onPoolError: (err) => {
        log.warn(describePoolError(err))
        resolveLost()
      },
    })
    try {
      const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db)
      const pid = rows[0]!.pid
      // The client is idle in the pool now; end its backend from another connection.
      await sql`select pg_terminate_backend(${pid})`.execute(admin)
      await lost
      expect(lines).toHaveLength(1)
      const record = JSON.parse(lines[0]!) as Record<string, unknown>
      expect(record['msg']).toBe(
        'database connection lost: terminating connection due to administrator command (SQLSTATE 57P01); the pool reconnects on the next query',
      )
      expect(record['err']).toBeUndefined()
      expect(lines[0]).not.toMatch(/connectionParameters|_types|"client"|stack/)
      // The pool recovers on the next query.
      const again = await sql<{ one: number }>`select 1 as one`.execute(db)
      expect(again.rows[0]?.one).toBe(1)
    } finally {
      await db.destroy()
    }
  })

  it('keeps the line short for errors without a SQLSTATE', () => {
    expect(describePoolError(Object.assign(new Error('read ECONNRESET\n    at stack'), { code: 'ECONNRESET' }))).toBe(
      'database connection lost: read ECONNRESET (ECONNRESET); the pool reconnects on the next query',
    )
    expect(describePoolError(undefined)).toBe('database connection lost: unknown error; the pool reconnects on the next query')
  })
})
