// With REDIS_URL, every limit and failure counter lives in Redis, shared by every instance, and
// what a Redis outage does to each is decided (docs/decisions/0046): login, re-authentication and
// second-factor counters fail closed (503, no password checked); the global limit fails open onto
// a per-process counter (the API stays up and still limited). Keys use a prefix unique to this
// file; the test deletes only its own keys. Skipped where no Redis answers (CI provides one).
import type { FastifyInstance } from 'fastify'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../app.js'
import { testRedisUrlFromEnv } from '../config/test-env.js'
import { randomSecret } from '../crypto/random.js'
import { countVerifies, login, mailsTo, sessionCookieFrom, signUpAndLogin, STRONG_PASSWORD, tokenFromMail } from '../testing/factories.js'
import { type TestApp, TestClock, testDeps } from '../testing/test-app.js'
import { useTestDb } from '../testing/test-db.js'
import { referenceTotpForStep, stepAt } from '../testing/totp-reference.js'
import { NO_REQUEST_LIMITS } from '../testing/test-config.js'
import { REFUSAL_MEMORY_SECONDS } from './throttle.service.js'

const redisUrl = testRedisUrlFromEnv() ?? 'redis://127.0.0.1:6379/15'

async function redisAnswers(): Promise<boolean> {
  const probe = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 1000, retryStrategy: () => null })
  try {
    await probe.connect()
    return (await probe.ping()) === 'PONG'
  } catch {
    return false
  } finally {
    probe.disconnect()
  }
}

const available = await redisAnswers()
const WRONG = 'not the password, a wrong guess'

describe.skipIf(!available)('failure counters and limits in Redis', () => {
  const prefix = `test:${randomSecret(6).toString('hex')}:`
  const clock = new TestClock(new Date(Math.floor(Date.UTC(2026, 6, 1, 9, 0, 0) / 30_000) * 30_000 + 5_000))
  const testDb = useTestDb()
  const clients: Redis[] = []
  const instances: TestApp[] = []

  const client = async (opts: { connected: boolean }): Promise<Redis> => {
    // As src/server.ts makes it: no offline queue, so a command fails at once when Redis is away.
    const r = new Redis(redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: true, retryStrategy: () => null })
    r.on('error', () => undefined)
    clients.push(r)
    if (opts.connected) await r.connect()
    return r
  }
  async function instance(redis: Redis, env: Record<string, string>): Promise<TestApp> {
    const deps = await testDeps(testDb.db, {
      env: { REDIS_KEY_PREFIX: prefix, ...NO_REQUEST_LIMITS, ...env },
      clock,
      redis,
    })
    const app: FastifyInstance = await buildApp(deps)
    await app.ready()
    const t = { app, deps, testDb, clock }
    instances.push(t)
    return t
  }
  const keys = async (pattern: string) => clients[0]!.keys(`${prefix}${pattern}`)
  const pgRows = async () => ({
    windows: (await testDb.db.selectFrom('auth_throttle').select('key').execute()).length,
    streaks: (await testDb.db.selectFrom('auth_failure_streaks').select('key').execute()).length,
  })

  beforeAll(async () => {
    await client({ connected: true })
  })
  afterAll(async () => {
    for (const t of instances) await t.app.close()
    const mine = await clients[0]!.keys(`${prefix}*`)
    if (mine.length > 0) await clients[0]!.del(...mine)
    for (const c of clients) c.disconnect()
  })

  it('counts login failures of two instances in one Redis window, and writes none to PostgreSQL', async () => {
    const env = { LOGIN_MAX_FAILURES_PER_ACCOUNT: '3' }
    const a = await instance(clients[0]!, env)
    const b = await instance(await client({ connected: true }), env)
    // Other tests of this file share the prefix: count what this account adds.
    const windowsBefore = (await keys('thr:w:login:acct:*')).length
    const streaksBefore = (await keys('thr:s:pwstreak:acct:*')).length
    await signUpAndLogin(a, 'shared@example.test')
    const before = await pgRows()
    const codes = []
    for (let i = 0; i < 4; i += 1) codes.push((await login(i % 2 === 0 ? a : b, 'shared@example.test', WRONG)).statusCode)
    expect(codes).toEqual([401, 401, 401, 429])
    expect((await login(b, 'shared@example.test')).statusCode).toBe(429)
    expect(await pgRows()).toEqual(before)
    expect((await keys('thr:w:login:acct:*')).length).toBe(windowsBefore + 1)
    expect((await keys('thr:s:pwstreak:acct:*')).length).toBeGreaterThan(streaksBefore)
    clock.advance(901)
    expect((await login(a, 'shared@example.test')).statusCode).toBe(200)
  })

  it('keeps consecutive-failure streaks in Redis across windows and instances; a password reset clears them', async () => {
    const env = { LOGIN_MAX_CONSECUTIVE_FAILURES: '4', LOGIN_MAX_FAILURES_PER_ACCOUNT: '2', LOGIN_FAILURE_WINDOW_SECONDS: '60' }
    const a = await instance(clients[0]!, env)
    const b = await instance(await client({ connected: true }), env)
    const email = 'streak@example.test'
    await signUpAndLogin(a, email)
    for (let i = 0; i < 4; i += 1) {
      if (i % 2 === 0) clock.advance(61)
      expect((await login(i % 2 === 0 ? a : b, email, WRONG)).statusCode).toBe(401)
    }
    clock.advance(3600)
    expect((await login(b, email)).statusCode).toBe(429)
    expect((await pgRows()).streaks).toBe(0)
    expect((await mailsTo(a, email)).map((m) => m.subject)).toContainEqual(expect.stringMatching(/Sign-in blocked/))

    expect((await a.app.inject({ method: 'POST', url: '/v1/auth/password-reset', payload: { email } })).statusCode).toBe(202)
    const token = await tokenFromMail(a, email, 'reset-password')
    const newPassword = 'another long passphrase after the reset'
    expect((await b.app.inject({ method: 'POST', url: '/v1/auth/password-reset/confirm', payload: { token, newPassword } })).statusCode).toBe(204)
    expect((await login(a, email, newPassword)).statusCode).toBe(200)
  })

  it('repeats a refusal from memory without a Redis command; a reset on another instance is seen once the memory ends', async () => {
    const env = { LOGIN_MAX_CONSECUTIVE_FAILURES: '2', LOGIN_MAX_FAILURES_PER_ACCOUNT: '100' }
    const redisA = await client({ connected: true })
    const a = await instance(redisA, env)
    const b = await instance(await client({ connected: true }), env)
    const email = 'remembered@example.test'
    await signUpAndLogin(a, email)
    for (let i = 0; i < 2; i += 1) expect((await login(a, email, WRONG)).statusCode).toBe(401)
    expect((await login(a, email, WRONG)).statusCode).toBe(429)
    // Counter commands instance a sends from here on (the global request limit's are not counted).
    let counterCommands = 0
    const send = redisA.sendCommand.bind(redisA)
    redisA.sendCommand = (command: Parameters<typeof send>[0]) => {
      if (command.args.some((arg) => String(arg).startsWith(`${prefix}thr:`))) counterCommands += 1
      return send(command)
    }
    expect((await login(a, email)).statusCode).toBe(429)
    expect(counterCommands).toBe(0)

    expect((await b.app.inject({ method: 'POST', url: '/v1/auth/password-reset', payload: { email } })).statusCode).toBe(202)
    const token = await tokenFromMail(b, email, 'reset-password')
    const newPassword = 'a passphrase chosen after the reset'
    expect((await b.app.inject({ method: 'POST', url: '/v1/auth/password-reset/confirm', payload: { token, newPassword } })).statusCode).toBe(204)
    // Instance a still repeats its refusal for at most REFUSAL_MEMORY_SECONDS, then asks Redis again.
    expect((await login(a, email, newPassword)).statusCode).toBe(429)
    clock.advance(REFUSAL_MEMORY_SECONDS)
    expect((await login(a, email, newPassword)).statusCode).toBe(200)
    expect(counterCommands).toBeGreaterThan(0)
  })

  it('fails closed when Redis is down: logins, re-authentication and codes get 503 and no password is checked', async () => {
    const live = await instance(clients[0]!, {})
    const email = 'outage@example.test'
    const session = await signUpAndLogin(live, email)
    const enrol = await live.app.inject({ method: 'POST', url: '/v1/me/mfa/totp', headers: { cookie: session }, payload: { password: STRONG_PASSWORD } })
    const secret = enrol.json().secret as string
    const confirmed = await live.app.inject({
      method: 'POST',
      url: '/v1/me/mfa/totp/confirm',
      headers: { cookie: session },
      payload: { code: await referenceTotpForStep(secret, stepAt(clock.now())) },
    })
    expect(confirmed.statusCode).toBe(200)
    const rotated = sessionCookieFrom(confirmed)
    const pending = sessionCookieFrom(await login(live, email), '__Host-mfa-pending')
    clock.advance(30)

    // The same database, a Redis that went away: connected once, then dropped.
    const dying = await client({ connected: true })
    expect(await dying.ping()).toBe('PONG')
    const down = await instance(dying, {})
    dying.disconnect()

    let answers: { statusCode: number; headers: Record<string, unknown>; json: () => { error: string } }[] = []
    const verifies = await countVerifies(down, async () => {
      answers = [
        await login(down, email),
        await login(down, email, WRONG),
        await login(down, 'nobody@example.test', WRONG),
        await down.app.inject({
          method: 'POST',
          url: '/v1/auth/login/mfa',
          headers: { cookie: pending },
          payload: { code: await referenceTotpForStep(secret, stepAt(clock.now())) },
        }),
        await down.app.inject({
          method: 'DELETE',
          url: '/v1/me/mfa/totp',
          headers: { cookie: rotated },
          payload: { password: STRONG_PASSWORD, code: '123456' },
        }),
      ]
    })
    expect(answers.map((r) => r.statusCode)).toEqual([503, 503, 503, 503, 503])
    for (const r of answers) {
      expect(r.json().error).toBe('unavailable')
      expect(Number(r.headers['retry-after'])).toBeGreaterThan(0)
    }
    expect(verifies).toBe(0)
    // What needs no guessing counter still works: the signed-in session reads its account.
    expect((await down.app.inject({ method: 'GET', url: '/v1/me', headers: { cookie: rotated } })).statusCode).toBe(200)
  })

  it('fails open for the global limit when Redis is down, counting in the process instead', async () => {
    const never = await client({ connected: false })
    const down = await instance(never, { RATE_LIMIT_MAX: '3' })
    const codes = []
    for (let i = 0; i < 4; i += 1) codes.push((await down.app.inject({ method: 'GET', url: '/', remoteAddress: '203.0.113.5' })).statusCode)
    expect(codes).toEqual([200, 200, 200, 429])
    expect((await down.app.inject({ method: 'GET', url: '/', remoteAddress: '203.0.113.6' })).statusCode).toBe(200)
    expect((await down.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200)
  })

  it('shares the global limit through Redis while it answers, keyed by /64', async () => {
    const a = await instance(clients[0]!, { RATE_LIMIT_MAX: '2' })
    const b = await instance(await client({ connected: true }), { RATE_LIMIT_MAX: '2' })
    const codes = []
    for (const [t, addr] of [
      [a, '2001:db8:ee:1::1'],
      [b, '2001:db8:ee:1::2'],
      [a, '2001:db8:ee:1::3'],
    ] as const) {
      codes.push((await t.app.inject({ method: 'GET', url: '/', remoteAddress: addr })).statusCode)
    }
    expect(codes).toEqual([200, 200, 429])
    expect((await keys('rl:*2001:0db8:00ee:0001::/64')).length).toBe(1)
  })
})
