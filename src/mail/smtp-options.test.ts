import { describe, expect, it } from 'vitest'
import { smtpOptions } from './mail-sender.js'

describe('smtpOptions', () => {
  it('requires TLS off loopback: STARTTLS for smtp://, TLS from the start for smtps://', () => {
    expect(smtpOptions('smtp://relay.example.test')).toMatchObject({ host: 'relay.example.test', port: 587, secure: false, requireTLS: true })
    expect(smtpOptions('smtps://relay.example.test')).toMatchObject({ port: 465, secure: true, requireTLS: false })
    expect(smtpOptions('smtp://192.0.2.10:25')).toMatchObject({ port: 25, requireTLS: true })
    expect(smtpOptions('smtp://[2001:db8::1]:2525')).toMatchObject({ host: '2001:db8::1', requireTLS: true })
  })

  it('lets a relay on this machine (a mail catcher in development) go without TLS', () => {
    for (const url of ['smtp://localhost:1025', 'smtp://127.0.0.1:1025', 'smtp://[::1]:1025']) expect(smtpOptions(url).requireTLS, url).toBe(false)
  })

  it('takes the credentials out of the URL, decoded, and keeps the timeouts', () => {
    const options = smtpOptions('smtp://mailer%40example.test:p%40ss%3Aword@relay.example.test:587')
    expect(options.auth).toEqual({ user: 'mailer@example.test', pass: 'p@ss:word' })
    expect(smtpOptions('smtp://relay.example.test').auth).toBeUndefined()
    expect(options).toMatchObject({ connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 10_000 })
  })
})
