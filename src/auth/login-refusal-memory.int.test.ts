// A flood past a login limit costs the store nothing: the refusals after the first are repeated
// from this process's memory, without a round trip to PostgreSQL (decision 0096). The memory only
// ever refuses, is forgotten when this process lifts the limit (a success, a reset), and lasts
// REFUSAL_MEMORY_SECONDS at most, so a limit lifted on another instance is seen within seconds.
import { describe, expect, it } from 'vitest'
import { createAccount, STRONG_PASSWORD } from '../testing/factories.js'
import { useCountingApp, useTestApp } from '../testing/test-app.js'
import { clearFailureStreaks } from '../throttle/failure-streaks.service.js'
import { REFUSAL_MEMORY_SECONDS } from '../throttle/throttle.service.js'

describe('remembered login refusals', () => {
  const t = useTestApp({
    env: {
      LOGIN_MAX_FAILURES_PER_ACCOUNT: '2',
      LOGIN_MAX_CONSECUTIVE_FAILURES: '3',
      LOGIN_MAX_FAILURES_PER_IP: '10000',
      UNAUTHENTICATED_RATE_LIMIT_MAX: '10000',
    },
  })
  // The app under test counts the statements it sends, however they were built.
  const counted = useCountingApp(t)

  const login = async (email: string, password: string) => {
    counted.statements = 0
    const res = await counted.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email, password } })
    return { status: res.statusCode, retryAfter: res.headers['retry-after'], statements: counted.statements }
  }
  const wrong = 'a wrong guess at the password'

  it('refuses the attempts after a window refusal with no statement, with the window’s own Retry-After, until the memory ends', async () => {
    await createAccount(t, { email: 'window@example.test' })
    expect((await login('window@example.test', wrong)).status).toBe(401)
    expect((await login('window@example.test', wrong)).status).toBe(401)
    const first = await login('window@example.test', wrong)
    expect(first).toMatchObject({ status: 429 })
    expect(first.statements).toBeGreaterThan(0)
    const windowSeconds = t.deps.config.auth.loginFailureWindowSeconds
    expect(Number(first.retryAfter)).toBe(windowSeconds)
    // The flood after it: answered from memory, even the right password.
    t.clock.advance(1)
    for (const password of [wrong, wrong, STRONG_PASSWORD]) {
      expect(await login('window@example.test', password)).toEqual({ status: 429, retryAfter: String(windowSeconds - 1), statements: 0 })
    }
    // Past the memory the store is asked again, and still refuses.
    t.clock.advance(REFUSAL_MEMORY_SECONDS)
    const asked = await login('window@example.test', STRONG_PASSWORD)
    expect(asked.status).toBe(429)
    expect(asked.statements).toBeGreaterThan(0)
    // Another address is not refused by this one's memory.
    await createAccount(t, { email: 'bystander@example.test' })
    expect((await login('bystander@example.test', STRONG_PASSWORD)).status).toBe(200)
  })

  it('repeats a consecutive-failure cap from memory, forgets it at once on a reset here, and sees a reset elsewhere within the memory', async () => {
    const account = await createAccount(t, { email: 'streak@example.test' })
    // Under the window limit (2) each time: a new window before each pair.
    const windowSeconds = t.deps.config.auth.loginFailureWindowSeconds
    for (let i = 0; i < 3; i += 1) {
      if (i === 2) t.clock.advance(windowSeconds + 1)
      expect((await login('streak@example.test', wrong)).status).toBe(401)
    }
    t.clock.advance(windowSeconds + 1)
    expect((await login('streak@example.test', wrong)).status).toBe(429)
    expect(await login('streak@example.test', STRONG_PASSWORD)).toMatchObject({ status: 429, statements: 0 })

    // A reset through this process (its counters are this app's store) forgets the cap at once.
    await clearFailureStreaks({ ...t.deps, db: counted.db }, account)
    expect((await login('streak@example.test', STRONG_PASSWORD)).status).toBe(200)

    // Capped again, then cleared by another instance (straight in the shared store): this process
    // still refuses from memory, and lets the right password in once the memory has ended.
    t.clock.advance(windowSeconds + 1)
    for (let i = 0; i < 3; i += 1) {
      if (i === 2) t.clock.advance(windowSeconds + 1)
      expect((await login('streak@example.test', wrong)).status).toBe(401)
    }
    t.clock.advance(windowSeconds + 1)
    expect((await login('streak@example.test', wrong)).status).toBe(429)
    await t.deps.db.deleteFrom('auth_failure_streaks').execute()
    expect(await login('streak@example.test', STRONG_PASSWORD)).toMatchObject({ status: 429, statements: 0 })
    t.clock.advance(REFUSAL_MEMORY_SECONDS)
    expect((await login('streak@example.test', STRONG_PASSWORD)).status).toBe(200)
  })
})
