// A flood of logins must queue or be refused with 503, never starve the other routes.
import { describe, expect, it } from 'vitest'
import { createAccount, issueTestSession, STRONG_PASSWORD } from '../testing/factories.js'
import { useTestApp } from '../testing/test-app.js'
import { loginWindowKey } from '../throttle/throttle.service.js'

describe('login flood', () => {
  const t = useTestApp({
    env: { PASSWORD_HASH_CONCURRENCY: '1', PASSWORD_HASH_QUEUE_MAX: '2', UNAUTHENTICATED_RATE_LIMIT_MAX: '10000', LOGIN_MAX_FAILURES_PER_IP: '10000' },
  })

  it('answers 503 unavailable with Retry-After past the hashing queue, while /healthz still answers', async () => {
    const logins = Array.from({ length: 12 }, (_, i) =>
      t.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email: `flood${i}@example.test`, password: 'some password guess here' } }),
    )
    const health = await t.app.inject({ method: 'GET', url: '/healthz' })
    expect(health.statusCode).toBe(200)
    const codes = (await Promise.all(logins)).map((r) => r.statusCode)
    expect(codes.filter((c) => c === 503).length).toBeGreaterThan(0)
    expect(codes.filter((c) => c === 401).length).toBeGreaterThan(0)
    const busy = (
      await Promise.all(
        Array.from({ length: 8 }, () =>
          t.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email: 'x@example.test', password: 'some password guess here' } }),
        ),
      )
    ).find((r) => r.statusCode === 503)
    expect(busy?.json()).toMatchObject({ error: 'unavailable' })
    expect(busy?.headers['retry-after']).toBeDefined()
  })

  it('refuses a login past the queue before counting it or touching the database', async () => {
    // Fill the one lane and the two queue places with slow verifications of our own.
    let release: () => void = () => undefined
    const gate = new Promise<void>((r) => (release = r))
    const held = Array.from({ length: 3 }, () =>
      (t.deps.hasher as unknown as { withSlot: (w: () => Promise<unknown>) => Promise<unknown> }).withSlot(() => gate),
    )
    expect(t.deps.hasher.saturated).toBe(true)
    const before = await t.deps.db.selectFrom('auth_throttle').select(['key', 'attempts']).orderBy('key').execute()
    const started = performance.now()
    const res = await t.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email: 'late@example.test', password: 'some password guess here' } })
    const elapsedMs = performance.now() - started
    expect(res.statusCode).toBe(503)
    expect(res.headers['retry-after']).toBe('5')
    expect(elapsedMs).toBeLessThan(1_000)
    expect(await t.deps.db.selectFrom('auth_throttle').select(['key', 'attempts']).orderBy('key').execute()).toEqual(before)
    release()
    await Promise.all(held)
    expect(t.deps.hasher.saturated).toBe(false)
  })

  it('sheds every route that takes a password before reading its body, and nothing else', async () => {
    const { cookie, sessionId } = await issueTestSession(t, (await createAccount(t)).id)
    // The session was last seen two minutes ago: a request that looks it up moves last_seen_at.
    t.clock.advance(120)
    const lastSeen = async (): Promise<number> =>
      (await t.deps.db.selectFrom('sessions').select('last_seen_at').where('id', '=', sessionId).executeTakeFirstOrThrow()).last_seen_at.getTime()
    const seenBefore = await lastSeen()
    let release: () => void = () => undefined
    const gate = new Promise<void>((r) => (release = r))
    const held = Array.from({ length: 3 }, () =>
      (t.deps.hasher as unknown as { withSlot: (w: () => Promise<unknown>) => Promise<unknown> }).withSlot(() => gate),
    )
    try {
      // Not even valid JSON: the 503 comes before the body is parsed, and before the session is looked up.
      for (const [method, url] of [
        ['POST', '/v1/auth/login'],
        ['POST', '/v1/auth/register'],
        ['POST', '/v1/auth/password-reset/confirm'],
        ['POST', '/v1/me/password'],
        ['DELETE', '/v1/me'],
      ] as const) {
        const res = await t.app.inject({
          method,
          url,
          headers: { 'content-type': 'application/json', cookie },
          payload: '{not json',
        })
        expect([url, res.statusCode, res.headers['retry-after'], res.json()]).toEqual([url, 503, '5', expect.objectContaining({ error: 'unavailable' })])
        expect(res.headers['x-ratelimit-remaining'], url).toBeUndefined()
      }
      expect(await lastSeen()).toBe(seenBefore)
      // Routes that hash nothing answer as usual (and this one does look the session up).
      expect((await t.app.inject({ method: 'GET', url: '/v1/me', headers: { cookie } })).statusCode).toBe(200)
      expect(await lastSeen()).toBeGreaterThan(seenBefore)
      const reset = await t.app.inject({ method: 'POST', url: '/v1/auth/password-reset', payload: { email: 'someone@example.test' } })
      expect(reset.statusCode).toBe(202)
    } finally {
      release()
      await Promise.all(held)
    }
  })

  it('refuses a burst larger than the queue before it counts: unchecked guesses do not lock the owner out', async () => {
    const account = await createAccount(t, { email: 'burst@example.test' })
    // Twelve wrong guesses at once, against one lane and two queue places: the default per-account
    // limit is 10, so if the unchecked ones were counted the owner would now be locked out.
    const guesses = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        t.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email: account.email, password: `burst guess ${i} xyz` } }),
      ),
    )
    const codes = guesses.map((r) => r.statusCode)
    expect(codes.filter((c) => c === 503)).toHaveLength(9)
    expect(codes.filter((c) => c === 401)).toHaveLength(3)
    const counted = await t.deps.db.selectFrom('auth_throttle').select('attempts').where('key', '=', loginWindowKey(account.email)).execute()
    expect(counted.map((r) => r.attempts)).toEqual([3])
    expect((await t.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email: account.email, password: STRONG_PASSWORD } })).statusCode).toBe(200)
  })
})
