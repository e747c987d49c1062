import { describe, expect, it } from 'vitest'
import { countVerifies, login, signUpAndLogin } from '../testing/factories.js'
import { useTestApp } from '../testing/test-app.js'

describe('throttling of password guessing', () => {
  // Every request here comes from 127.0.0.1: lift the per-address limits to test the per-account one.
  const t = useTestApp({ env: { UNAUTHENTICATED_RATE_LIMIT_MAX: '10000', LOGIN_MAX_FAILURES_PER_IP: '10000' } })

  it('answers 429 after 10 failures, even to the right password, and a forged X-Forwarded-For does not help', async () => {
    await signUpAndLogin(t, 'victim@example.test')
    const statuses: number[] = []
    for (let i = 0; i < 12; i += 1) {
      const res = await login(t, 'victim@example.test', `wrong guess number ${i} xyz`, { 'x-forwarded-for': `203.0.113.${i}` })
      statuses.push(res.statusCode)
    }
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401))
    expect(statuses.slice(10)).toEqual([429, 429])

    const right = await login(t, 'victim@example.test', undefined, { 'x-forwarded-for': '198.51.100.7' })
    expect(right.statusCode).toBe(429)
    expect(right.json()).toMatchObject({ error: 'rate_limited' })
    expect(Number(right.headers['retry-after'])).toBeGreaterThan(0)

    // Past the window the right password works again.
    t.clock.advance(t.deps.config.auth.loginFailureWindowSeconds + 1)
    expect((await login(t, 'victim@example.test')).statusCode).toBe(200)
  })

  it('gives an unknown email the same 429, so throttling reveals nothing', async () => {
    for (let i = 0; i < 11; i += 1) await login(t, 'ghost@example.test', `wrong guess number ${i} xyz`)
    const res = await login(t, 'ghost@example.test', 'wrong guess number 99 xyz')
    expect(res.statusCode).toBe(429)
  })

  it('counts 30 parallel wrong passwords, all of them, and checks at most 10', async () => {
    await signUpAndLogin(t, 'race@example.test')
    const verifies = await countVerifies(t, async () => {
      const results = await Promise.all(Array.from({ length: 30 }, (_, i) => login(t, 'race@example.test', `parallel wrong guess ${i} xyz`)))
      const codes = results.map((r) => r.statusCode)
      expect(codes.filter((c) => c === 401)).toHaveLength(10)
      expect(codes.filter((c) => c === 429)).toHaveLength(20)
    })
    expect(verifies).toBe(10)
    expect((await login(t, 'race@example.test')).statusCode).toBe(429)
  })

  it('does not let successful logins eat into the failure budget', async () => {
    await signUpAndLogin(t, 'regular@example.test')
    for (let i = 0; i < 15; i += 1) expect((await login(t, 'regular@example.test')).statusCode).toBe(200)
  })
})

describe('per-address limits', () => {
  const t = useTestApp({ env: { LOGIN_MAX_FAILURES_PER_IP: '5', UNAUTHENTICATED_RATE_LIMIT_MAX: '10000' } })

  it('answers 429 once one address has failed on many accounts', async () => {
    const codes: number[] = []
    for (let i = 0; i < 7; i += 1) codes.push((await login(t, `spray${i}@example.test`, 'password spraying attempt 1')).statusCode)
    expect(codes).toEqual([401, 401, 401, 401, 401, 429, 429])
  })
})

describe('rate limit on unauthenticated routes', () => {
  const t = useTestApp({ env: { UNAUTHENTICATED_RATE_LIMIT_MAX: '3' } })

  it('answers 429 with Retry-After past the per-minute budget', async () => {
    const codes: number[] = []
    for (let i = 0; i < 4; i += 1)
      codes.push((await t.app.inject({ method: 'POST', url: '/v1/auth/password-reset', payload: { email: 'a@example.test' } })).statusCode)
    expect(codes).toEqual([202, 202, 202, 429])
    const res = await t.app.inject({ method: 'POST', url: '/v1/auth/password-reset', payload: { email: 'a@example.test' } })
    expect(res.json()).toMatchObject({ error: 'rate_limited' })
    expect(res.headers['retry-after']).toBeDefined()
  })
})
