import { describe, expect, it } from 'vitest'
import { login, mailsTo, signUpAndLogin } from '../testing/factories.js'
import { useTestApp } from '../testing/test-app.js'
import { addressPrefix } from './new-device.js'

describe('new-device notice', () => {
  const t = useTestApp({ env: { UNAUTHENTICATED_RATE_LIMIT_MAX: '10000' } })
  const notices = async (email: string) => (await mailsTo(t, email)).filter((m) => m.subject.includes('New sign-in'))

  it('mails the owner when a user agent or network not seen before signs in, with the way to end that session', async () => {
    await signUpAndLogin(t, 'device@example.test') // first device: no notice
    expect(await notices('device@example.test')).toHaveLength(0)
    await login(t, 'device@example.test', undefined, {}) // same device again
    expect(await notices('device@example.test')).toHaveLength(0)
    await login(t, 'device@example.test', undefined, { 'user-agent': 'Unfamiliar Browser/1.0' })
    const [notice] = await notices('device@example.test')
    expect(notice?.body_text).toContain('Unfamiliar Browser/1.0')
    expect(notice?.body_text).toMatch(/DELETE \/v1\/sessions\/[0-9a-f-]{36}/)
    const events = await t.deps.db.selectFrom('security_events').select('type').where('type', '=', 'login.new_device').execute()
    expect(events).toHaveLength(1)
  })

  it('groups addresses by /24 and /48 prefixes', () => {
    expect(addressPrefix('203.0.113.77')).toBe('203.0.113')
    expect(addressPrefix('::ffff:203.0.113.77')).toBe('203.0.113')
    expect(addressPrefix('2001:db8:abcd:12::1')).toBe('2001:db8:abcd')
    expect(addressPrefix('2001:db8::1')).toBe('2001:db8:0')
  })
})
