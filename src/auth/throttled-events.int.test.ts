// A refused guess must cost the server next to nothing: past a limit, one `login.throttled` event
// per window says that guessing was stopped, and the attempts after it write nothing. One event per
// refused request let a flood grow security_events (and queue on the audit chain's lock) without
// bound, which is the opposite of what the limit is for.
import { describe, expect, it } from 'vitest'
import { createAccount, login } from '../testing/factories.js'
import { NO_REQUEST_LIMITS } from '../testing/test-config.js'
import { useTestApp } from '../testing/test-app.js'

describe('login.throttled events', () => {
  const t = useTestApp({ env: { ...NO_REQUEST_LIMITS, LOGIN_MAX_FAILURES_PER_IP: '10000' } })
  const throttledEvents = async (): Promise<number> =>
    (await t.deps.db.selectFrom('security_events').select('id').where('type', '=', 'login.throttled').execute()).length

  it('records one event per window however many guesses the limit refuses, in parallel or not', async () => {
    await createAccount(t, { email: 'flooded@example.test' })
    const limit = t.deps.config.auth.loginMaxFailuresPerAccount
    const parallel = await Promise.all(Array.from({ length: limit + 20 }, (_, i) => login(t, 'flooded@example.test', `wrong guess number ${i} xyz`)))
    expect(parallel.filter((r) => r.statusCode === 429)).toHaveLength(20)
    for (let i = 0; i < 5; i += 1) expect((await login(t, 'flooded@example.test', `later guess ${i} xyz`)).statusCode).toBe(429)
    expect(await throttledEvents()).toBe(1)

    // The next window's first refusal is recorded again.
    t.clock.advance(t.deps.config.auth.loginFailureWindowSeconds + 1)
    for (let i = 0; i < limit + 3; i += 1) await login(t, 'flooded@example.test', `next window guess ${i} xyz`)
    expect(await throttledEvents()).toBe(2)
  })
})

describe('login.throttled events at the consecutive-failure cap', () => {
  const t = useTestApp({
    env: { ...NO_REQUEST_LIMITS, LOGIN_MAX_FAILURES_PER_IP: '10000', LOGIN_MAX_FAILURES_PER_ACCOUNT: '1000', LOGIN_MAX_CONSECUTIVE_FAILURES: '5' },
  })

  it('records the first refusal past the cap, not every one', async () => {
    await createAccount(t, { email: 'capped@example.test' })
    const codes: number[] = []
    for (let i = 0; i < 12; i += 1) codes.push((await login(t, 'capped@example.test', `wrong guess number ${i} xyz`)).statusCode)
    expect(codes).toEqual([...Array(5).fill(401), ...Array(7).fill(429)])
    const events = await t.deps.db.selectFrom('security_events').select('details').where('type', '=', 'login.throttled').execute()
    expect(events).toHaveLength(1)
  })
})
