// With SMTP_URL set, the outbox is delivered over SMTP by nodemailer: here to a real SMTP server
// (smtp-server) on loopback, checking the message arrives with its link, and the row keeps no body.
import type { AddressInfo } from 'node:net'
import { networkInterfaces } from 'node:os'
import { SMTPServer } from 'smtp-server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { testConfig } from '../testing/test-config.js'
import { useTestDb } from '../testing/test-db.js'
import { deliverDueMail, transportFor } from './mail-sender.js'
import { enqueueMail } from './outbox.js'

describe('SMTP delivery', () => {
  const t = useTestDb()
  let server: SMTPServer
  let port = 0
  const received: { from: string; to: string[]; data: string }[] = []

  beforeAll(async () => {
    server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      onData(stream, session, callback) {
        let data = ''
        stream.on('data', (chunk: Buffer) => (data += chunk.toString()))
        stream.on('end', () => {
          received.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), data })
          callback()
        })
      },
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    port = (server.server.address() as AddressInfo).port
  })
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })

  it('sends each due mail once and erases its body', async () => {
    const config = await testConfig({ SMTP_URL: `smtp://127.0.0.1:${port}`, MAIL_FROM: 'Starter <no-reply@example.test>' })
    const transport = transportFor(config)
    expect(transport).toBeDefined()
    const now = new Date()
    await enqueueMail(t.db, { to: 'ana@example.test', subject: 'Reset your password', text: 'https://app.example.test/reset-password#token=abc' }, now)
    expect(await deliverDueMail(t.db, transport!, { from: config.mail.from, now })).toBe(1)
    expect(await deliverDueMail(t.db, transport!, { from: config.mail.from, now })).toBe(0)
    expect(received).toHaveLength(1)
    expect(received[0]).toMatchObject({ from: 'no-reply@example.test', to: ['ana@example.test'] })
    expect(received[0]?.data).toContain('reset-password#token=abc')
    const row = await t.db.selectFrom('email_outbox').select(['body_text', 'sent_at']).executeTakeFirstOrThrow()
    expect(row.body_text).toBeNull()
    expect(row.sent_at).not.toBeNull()
  })

  // Found by an operator pass: smtp:// to a server that offers no STARTTLS sent AUTH PLAIN and the
  // reset links in clear text. Off loopback, TLS is required (STARTTLS, or smtps://).
  const external = Object.values(networkInterfaces())
    .flat()
    .find((a) => a !== undefined && a.family === 'IPv4' && !a.internal)?.address
  it.skipIf(external === undefined)('sends neither credentials nor mail in clear text to a server off loopback that offers no TLS', async () => {
    let authSeen = false
    const plain = new SMTPServer({
      disabledCommands: ['STARTTLS'],
      onAuth(_auth, _session, callback) {
        authSeen = true
        callback(null, { user: 'mailer' })
      },
      onData(stream, _session, callback) {
        stream.resume()
        stream.on('end', () => callback())
      },
    })
    await new Promise<void>((resolve) => plain.listen(0, external, resolve))
    try {
      const plainPort = (plain.server.address() as AddressInfo).port
      const config = await testConfig({ SMTP_URL: `smtp://mailer:relay-password@${external}:${plainPort}` })
      const transport = transportFor(config)
      const now = new Date()
      await enqueueMail(t.db, { to: 'tls@example.test', subject: 'Reset your password', text: 'https://app.example.test/reset-password#token=xyz' }, now)
      expect(await deliverDueMail(t.db, transport!, { from: config.mail.from, now })).toBe(0)
      expect(authSeen).toBe(false)
      const row = await t.db.selectFrom('email_outbox').select(['sent_at', 'last_error']).where('to_address', '=', 'tls@example.test').executeTakeFirstOrThrow()
      expect(row.sent_at).toBeNull()
      // Why, in a word an operator can act on: nodemailer's code (ETLS), never the server's reply text.
      expect(row.last_error).toBe('Error (ETLS)')
    } finally {
      await new Promise<void>((resolve) => plain.close(() => resolve()))
    }
  })

  it('has no transport in production without SMTP_URL (mail waits in the outbox)', async () => {
    const config = await testConfig({ NODE_ENV: 'production', DATABASE_URL: 'postgres://x@127.0.0.1/x', PUBLIC_ORIGIN: 'https://app.example.test' })
    expect(transportFor(config)).toBeUndefined()
  })
})
