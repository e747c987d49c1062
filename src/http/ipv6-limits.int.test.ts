// Security property: per-address limits count an IPv6 client by its /64, so one host cannot step
// through the 2^64 addresses of its subnet for fresh budgets; IPv4-mapped IPv6 counts as the IPv4
// address. Holds for the global limit, the strict per-route limits and the login failure throttle,
// whether the address is the socket's or comes from a trusted proxy's X-Forwarded-For.
import { describe, expect, it } from 'vitest'
import { useTestApp } from '../testing/test-app.js'
import { NO_REQUEST_LIMITS } from '../testing/test-config.js'

const get = (t: ReturnType<typeof useTestApp>, remoteAddress: string, headers: Record<string, string> = {}) =>
  t.app.inject({ method: 'GET', url: '/', remoteAddress, headers })

describe('the global rate limit keys IPv6 clients by /64', () => {
  const t = useTestApp({ env: { RATE_LIMIT_MAX: '3' } })

  it('shares one budget between two addresses of one /64, and not with the next /64', async () => {
    const codes = []
    for (const addr of ['2001:db8:aa:1::1', '2001:db8:aa:1::2', '2001:db8:aa:1:ffff:1:2:3', '2001:db8:aa:1::4']) codes.push((await get(t, addr)).statusCode)
    expect(codes).toEqual([200, 200, 200, 429])
    expect((await get(t, '2001:db8:aa:2::1')).statusCode).toBe(200)
  })

  it('counts IPv4-mapped IPv6 as the IPv4 address', async () => {
    const codes = []
    for (const addr of ['198.51.100.9', '::ffff:198.51.100.9', '::ffff:c633:6409', '198.51.100.9']) codes.push((await get(t, addr)).statusCode)
    expect(codes).toEqual([200, 200, 200, 429])
    expect((await get(t, '198.51.100.10')).statusCode).toBe(200)
  })
})

describe('behind a trusted proxy, X-Forwarded-For addresses are keyed by /64 too', () => {
  const t = useTestApp({ env: { RATE_LIMIT_MAX: '2', TRUST_PROXY: '127.0.0.1' } })

  it('shares one budget between forwarded addresses of one /64', async () => {
    const via = (client: string) => get(t, '127.0.0.1', { 'x-forwarded-for': client })
    expect((await via('2001:db8:bb:7::a')).statusCode).toBe(200)
    expect((await via('2001:db8:bb:7::b')).statusCode).toBe(200)
    expect((await via('2001:db8:bb:7::c')).statusCode).toBe(429)
    expect((await via('2001:db8:bb:8::a')).statusCode).toBe(200)
  })
})

describe('the login failure throttle keys IPv6 clients by /64', () => {
  const t = useTestApp({ env: { LOGIN_MAX_FAILURES_PER_IP: '3', ...NO_REQUEST_LIMITS } })
  const attempt = (remoteAddress: string, i: number) =>
    t.app.inject({ method: 'POST', url: '/v1/auth/login', remoteAddress, payload: { email: `v6-${i}@example.test`, password: 'wrong password for sure' } })

  it('refuses a fourth wrong login from the same /64 however the address rotates, not from the next /64', async () => {
    const codes = []
    for (let i = 0; i < 4; i += 1) codes.push((await attempt(`2001:db8:cc:1::${(i + 1).toString(16)}`, i)).statusCode)
    expect(codes).toEqual([401, 401, 401, 429])
    expect((await attempt('2001:db8:cc:2::1', 99)).statusCode).toBe(401)
  })

  it('stores the login throttle key by /64, never the full address', async () => {
    expect((await attempt('2001:db8:cc:3::9', 50)).statusCode).toBe(401)
    const row = await t.deps.db.selectFrom('auth_throttle').select('key').where('key', 'like', 'login:ip:%').execute()
    expect(row.map((r) => r.key)).toContain('login:ip:2001:0db8:00cc:0003::/64')
    expect(row.map((r) => r.key).some((k) => k.includes('2001:db8:cc:3::'))).toBe(false)
  })
})

describe('the strict per-route limit keys IPv6 clients by /64', () => {
  const t = useTestApp({ env: { UNAUTHENTICATED_RATE_LIMIT_MAX: '2', RATE_LIMIT_MAX: '100000' } })

  it('answers 429 on the third reset request from one /64, whatever the address', async () => {
    const reset = (remoteAddress: string) =>
      t.app.inject({ method: 'POST', url: '/v1/auth/password-reset', remoteAddress, payload: { email: 'someone@example.test' } })
    expect((await reset('2001:db8:dd:1::1')).statusCode).toBe(202)
    expect((await reset('2001:db8:dd:1::2')).statusCode).toBe(202)
    expect((await reset('2001:db8:dd:1::3')).statusCode).toBe(429)
    expect((await reset('2001:db8:dd:2::1')).statusCode).toBe(202)
  })
})
