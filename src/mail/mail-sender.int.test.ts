import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDb, type TestDb } from '../testing/test-db.js'
import { deliverDueMail, type Transport } from './mail-sender.js'
import { enqueueMail } from './outbox.js'

describe('outbox delivery', () => {
  let t: TestDb
  beforeAll(async () => {
    t = await createTestDb()
  })
  afterAll(async () => {
    await t.drop()
  })
  const now = new Date('2026-03-01T10:00:00Z')

  it('delivers each mail once across parallel workers (FOR UPDATE SKIP LOCKED) and erases bodies', async () => {
    for (let i = 0; i < 30; i += 1) await enqueueMail(t.db, { to: `m${i}@example.test`, subject: 's', text: `secret link ${i}` }, now)
    const delivered: string[] = []
    const slow: Transport = async (mail) => {
      await new Promise((r) => setTimeout(r, 5))
      delivered.push(mail.to)
    }
    const counts = await Promise.all([1, 2, 3].map(() => deliverDueMail(t.db, slow, { from: 'x@example.test', now })))
    await deliverDueMail(t.db, slow, { from: 'x@example.test', now }) // drains the rest
    expect(new Set(delivered).size).toBe(30)
    expect(delivered).toHaveLength(30)
    expect(counts.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(30)
    const left = await t.db.selectFrom('email_outbox').select(['body_text', 'sent_at']).execute()
    expect(left.every((r) => r.body_text === null && r.sent_at !== null)).toBe(true)
  })

  it('retries a failed delivery later with back-off, keeping no error text', async () => {
    await enqueueMail(t.db, { to: 'retry@example.test', subject: 's', text: 'body' }, now)
    const failing: Transport = async () => {
      throw new Error('550 mailbox retry@example.test unavailable')
    }
    expect(await deliverDueMail(t.db, failing, { from: 'x@example.test', now })).toBe(0)
    const row = await t.db.selectFrom('email_outbox').selectAll().where('to_address', '=', 'retry@example.test').executeTakeFirstOrThrow()
    expect(row.attempts).toBe(1)
    expect(row.next_attempt_at.getTime()).toBeGreaterThan(now.getTime())
    expect(row.last_error).toBe('Error')
    // Not due yet: nothing is sent; once due, it goes.
    const sent: string[] = []
    const ok: Transport = async (mail) => {
      sent.push(mail.to)
    }
    await deliverDueMail(t.db, ok, { from: 'x@example.test', now })
    expect(sent).toEqual([])
    await deliverDueMail(t.db, ok, { from: 'x@example.test', now: new Date(row.next_attempt_at.getTime() + 1) })
    expect(sent).toEqual(['retry@example.test'])
  })
})
