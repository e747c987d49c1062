import { describe, expect, it } from 'vitest'
import { useTestDb } from '../testing/test-db.js'
import { createLogger } from '../logging/logger.js'
import { deliverDueMail, startMailWorker, type Transport } from './mail-sender.js'
import { enqueueMail } from './outbox.js'

describe('outbox delivery', () => {
  const t = useTestDb()
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

  it('holds no transaction or row lock while the SMTP server is slow', async () => {
    for (let i = 0; i < 3; i += 1) await enqueueMail(t.db, { to: `slow${i}@example.test`, subject: 's', text: 'body' }, now)
    let release: () => void = () => undefined
    const gate = new Promise<void>((r) => (release = r))
    let entered: () => void = () => undefined
    const inSend = new Promise<void>((r) => (entered = r))
    const hanging: Transport = async () => {
      entered()
      await gate
    }
    const delivery = deliverDueMail(t.db, hanging, { from: 'x@example.test', now })
    await inSend
    // While SMTP hangs: the rows are not locked (NOWAIT would fail at once) and can be deleted.
    await t.db.transaction().execute(async (trx) => {
      const rows = await trx.selectFrom('email_outbox').select('id').where('to_address', 'like', 'slow%').forUpdate().noWait().execute()
      expect(rows).toHaveLength(3)
    })
    await t.db.deleteFrom('email_outbox').where('to_address', '=', 'slow2@example.test').execute()
    // Another worker does not claim the leased rows meanwhile.
    const other: string[] = []
    await deliverDueMail(t.db, async (mail) => void other.push(mail.to), { from: 'x@example.test', now })
    expect(other.filter((to) => to.startsWith('slow'))).toEqual([])
    release()
    expect(await delivery).toBe(3)
    const left = await t.db.selectFrom('email_outbox').select(['to_address', 'sent_at']).where('to_address', 'like', 'slow%').orderBy('to_address').execute()
    expect(left.map((r) => [r.to_address, r.sent_at !== null])).toEqual([
      ['slow0@example.test', true],
      ['slow1@example.test', true],
    ])
  })

  it('never runs two ticks of one worker at once, however slow the mail server', async () => {
    for (let i = 0; i < 4; i += 1) await enqueueMail(t.db, { to: `tick${i}@example.test`, subject: 's', text: 'body' }, now)
    let inFlight = 0
    let maxInFlight = 0
    let sends = 0
    const slow: Transport = async () => {
      inFlight += 1
      maxInFlight = Math.max(maxInFlight, inFlight)
      await new Promise((r) => setTimeout(r, 60))
      sends += 1
      inFlight -= 1
    }
    const worker = startMailWorker(t.db, slow, { from: 'x@example.test', intervalMs: 5, log: createLogger({ level: 'silent', pretty: false }), now: () => now })
    for (let i = 0; i < 100 && sends < 4; i += 1) await new Promise((r) => setTimeout(r, 20))
    await worker.stop()
    expect(sends).toBe(4)
    expect(maxInFlight).toBe(1)
  })
})
