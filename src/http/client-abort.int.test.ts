// A client that goes away in the middle of its body is a refusal, not an outage: Node reports it as
// ECONNRESET, which the database check also knows, and such requests were answered 503 and logged at
// ERROR with a stack, on demand and for anyone (found by an attacker pass).
import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../app.js'
import type { Deps } from '../deps.js'
import { capturedLog } from '../testing/log-capture.js'
import { testDeps } from '../testing/test-app.js'
import { useTestDb } from '../testing/test-db.js'

/** Sends `head` and part of a body, then closes the connection; resolves once the socket is closed. */
function sendAndHangUp(port: number, head: string, part: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(head + part)
      setTimeout(() => socket.destroy(), 100)
    })
    socket.on('close', () => resolve())
    socket.on('error', reject)
  })
}

describe('a client that hangs up mid-body', () => {
  const { log, lines } = capturedLog('info')
  const testDb = useTestDb()
  let deps: Deps
  let app: Awaited<ReturnType<typeof buildApp>>
  let port = 0

  beforeAll(async () => {
    deps = await testDeps(testDb.db, { log })
    app = await buildApp(deps)
    await app.listen({ host: '127.0.0.1', port: 0 })
    port = (app.server.address() as { port: number }).port
  })
  afterAll(async () => {
    await app.close()
  })

  it('writes no error line: it is not the database being down', async () => {
    const body = JSON.stringify({ email: 'gone@example.test', password: 'correct horse battery staple orbit' })
    await sendAndHangUp(
      port,
      `POST /v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
      body.slice(0, 10),
    )
    await sendAndHangUp(
      port,
      'POST /v1/auth/register HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n',
      '20\r\n{"email":',
    )
    // Both hang-ups reached the app (Node's parser names each one), and neither is an error of ours.
    await expect.poll(() => lines.filter((l) => l.includes('"client error"')).length).toBe(2)
    await new Promise((resolve) => setTimeout(resolve, 200))
    const records = lines.map((l) => JSON.parse(l) as { level: number; msg: string })
    expect(records.filter((r) => r.level >= 50).map((r) => r.msg)).toEqual([])
  })
})
