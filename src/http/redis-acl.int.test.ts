// The app's Redis user (infra/redis/users.acl.template, written out by infra/secrets/generate.sh)
// may run only the commands the app uses, on its own key prefix. This starts a real redis-server
// as infra/k8s/redis.yaml runs it (its arguments, with that ACL file) and drives through it every
// path that counts in Redis: the login window and streak (given back, refused, cleared), a
// re-authentication the window refused, a password reset, the mail quota and the global rate limit.
// Nothing may be denied on the way: a command missing from the ACL shows in Redis's ACL LOG (which
// a test-only `inspector` user reads) even where the app swallows the error (a give-back is best
// effort). Then it shows that anything else is refused, and that the counters survive a restart.
// Skipped where redis-server is not installed.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { parseAllDocuments } from 'yaml'
import { buildApp } from '../app.js'
import { randomSecret } from '../crypto/random.js'
import { login, mailsTo, signUpAndLogin, tokenFromMail } from '../testing/factories.js'
import { capturedLog } from '../testing/log-capture.js'
import { type TestApp, TestClock, testDeps } from '../testing/test-app.js'
import { NO_REQUEST_LIMITS } from '../testing/test-config.js'
import { hasRedisServer, RedisServer } from '../testing/redis-server.js'
import { useTestDb } from '../testing/test-db.js'
import { ipKey, loginWindowKey, passwordStreakKey } from '../throttle/throttle.service.js'

const PREFIX = 'sss:'
const WRONG = 'not the password, a wrong guess'

interface Manifest {
  kind?: string
  spec?: { template?: { spec?: { containers?: { name: string; args?: string[] }[] } } }
}

/** The redis container's arguments in infra/k8s/redis.yaml, its ACL file and data directory moved into `dir`. */
async function manifestArgs(dir: string): Promise<string[]> {
  const docs = parseAllDocuments(await readFile(path.resolve('infra/k8s/redis.yaml'), 'utf8')).map((doc) => doc.toJS() as Manifest)
  const container = docs
    .filter((d) => d.kind === 'Deployment' || d.kind === 'StatefulSet')
    .flatMap((d) => d.spec?.template?.spec?.containers ?? [])
    .find((c) => c.name === 'redis')
  const args = [...(container?.args ?? [])]
  if (args[0] !== 'redis-server') throw new Error('infra/k8s/redis.yaml: the redis container does not run redis-server')
  args.shift()
  const moved: Record<string, string> = { '--aclfile': path.join(dir, 'users.acl'), '--dir': dir }
  for (let i = 0; i < args.length - 1; i += 1) {
    const to = moved[args[i]!]
    if (to !== undefined) args[i + 1] = to
  }
  if (!args.includes('--dir')) args.push('--dir', dir)
  return args
}

/** A client made with the same options as src/server.ts; resolves once it is ready. */
async function appClient(port: number, password: string): Promise<Redis> {
  const client = new Redis(`redis://app:${password}@127.0.0.1:${port}/0`, { maxRetriesPerRequest: 1, enableOfflineQueue: false, disableClientInfo: true })
  await new Promise<void>((resolve, reject) => {
    client.once('ready', resolve)
    client.once('error', reject)
  })
  client.on('error', () => undefined)
  return client
}

const available = hasRedisServer()
const skipped = available ? '' : ' [skipped: redis-server is not installed]'

describe.skipIf(!available)(`the app's Redis ACL, on Redis as infra/k8s/redis.yaml runs it${skipped}`, () => {
  let dir: string
  let server: RedisServer
  let client: Redis
  let inspector: Redis
  const testDb = useTestDb()
  const password = randomSecret(16).toString('hex')
  const inspectorPassword = randomSecret(16).toString('hex')
  const clock = new TestClock(new Date(Math.floor(Date.UTC(2026, 6, 1, 9, 0, 0) / 30_000) * 30_000 + 5_000))
  const { log, lines } = capturedLog('warn')
  const apps: TestApp[] = []

  async function instance(env: Record<string, string> = {}): Promise<TestApp> {
    const deps = await testDeps(testDb.db, { env: { REDIS_KEY_PREFIX: PREFIX, ...NO_REQUEST_LIMITS, ...env }, clock, redis: client, log })
    const app = await buildApp(deps)
    await app.ready()
    const t = { app, deps, testDb, clock }
    apps.push(t)
    return t
  }

  /** What Redis refused the app user since the last call ("command:hget", "key:other:x"), then forgets it. */
  async function denied(): Promise<string[]> {
    const entries = (await inspector.call('ACL', 'LOG')) as unknown[][]
    await inspector.call('ACL', 'LOG', 'RESET')
    return entries
      .map((entry) => {
        const fields = new Map<string, unknown>()
        for (let i = 0; i < entry.length - 1; i += 2) fields.set(String(entry[i]), entry[i + 1])
        return fields
      })
      .filter((fields) => fields.get('username') === 'app')
      .map((fields) => `${String(fields.get('reason'))}:${String(fields.get('object'))}`)
  }

  /** Nothing denied by the ACL and nothing the app logged as a Redis failure (it logs NOPERM as an outage). */
  async function expectNothingDenied(): Promise<void> {
    expect(await denied()).toEqual([])
    expect(lines.filter((line) => /redis/i.test(line))).toEqual([])
  }

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sss-redis-acl-'))
    const template = await readFile(path.resolve('infra/redis/users.acl.template'), 'utf8')
    // The inspector is this test's own: it reads the ACL LOG and the counters, nothing else.
    const acl = `${template.replace('__APP_PASSWORD__', password).trimEnd()}\nuser inspector on >${inspectorPassword} ~* resetchannels -@all +acl|log +get +hget +exists\n`
    await writeFile(path.join(dir, 'users.acl'), acl, { mode: 0o600 })
    server = await RedisServer.start(await manifestArgs(dir))
    client = await appClient(server.port, password)
    inspector = new Redis(`redis://inspector:${inspectorPassword}@127.0.0.1:${server.port}/0`, { maxRetriesPerRequest: 1 })
  })

  // Each test answers for its own denials and log lines.
  beforeEach(async () => {
    await denied()
    lines.length = 0
  })

  afterAll(async () => {
    for (const t of apps) await t.app.close()
    client?.disconnect()
    inspector?.disconnect()
    await server?.stop()
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('turns the default user off (no unauthenticated access)', async () => {
    const anonymous = new Redis({ port: server.port, host: '127.0.0.1', maxRetriesPerRequest: 0, retryStrategy: () => null, enableReadyCheck: false })
    anonymous.on('error', () => undefined)
    try {
      await expect(anonymous.get('sss:x')).rejects.toThrow(/NOAUTH|NOPERM|WRONGPASS/)
    } finally {
      anonymous.disconnect()
    }
  })

  it('signs up, verifies, counts a failed login, gives a success back and refuses past the window, all in Redis', async () => {
    const t = await instance({ LOGIN_MAX_FAILURES_PER_ACCOUNT: '3' })
    const email = 'window@example.test'
    // Register, verify-email (a password check counted in the login window) and log in: each would answer 503 if a script were denied.
    await signUpAndLogin(t, email)
    // Both successes gave their reservation back (HINCRBY -1) and the login cleared its streak (DEL).
    expect(await inspector.hget(`${PREFIX}thr:w:${loginWindowKey(email)}`, 'n')).toBe('0')
    expect(await inspector.exists(`${PREFIX}thr:s:${passwordStreakKey(email)}`)).toBe(0)
    const codes = []
    for (let i = 0; i < 4; i += 1) codes.push((await login(t, email, WRONG)).statusCode)
    expect(codes).toEqual([401, 401, 401, 429])
    expect(await inspector.hget(`${PREFIX}thr:w:${loginWindowKey(email)}`, 'n')).toBe('4')
    expect(await inspector.get(`${PREFIX}thr:s:${passwordStreakKey(email)}`)).toBe('3')
    await expectNothingDenied()
  })

  it('caps a consecutive-failure streak across windows; a password reset clears the streaks and the window', async () => {
    const t = await instance({ LOGIN_MAX_CONSECUTIVE_FAILURES: '4', LOGIN_MAX_FAILURES_PER_ACCOUNT: '2', LOGIN_FAILURE_WINDOW_SECONDS: '60' })
    const email = 'streak@example.test'
    await signUpAndLogin(t, email)
    for (let i = 0; i < 4; i += 1) {
      if (i % 2 === 0) clock.advance(61)
      expect((await login(t, email, WRONG)).statusCode).toBe(401)
    }
    clock.advance(3600)
    expect((await login(t, email)).statusCode).toBe(429)
    expect(await inspector.exists(`${PREFIX}thr:w:${loginWindowKey(email)}`)).toBe(1)

    expect((await t.app.inject({ method: 'POST', url: '/v1/auth/password-reset', payload: { email } })).statusCode).toBe(202)
    const token = await tokenFromMail(t, email, 'reset-password')
    const newPassword = 'another long passphrase after the reset'
    expect((await t.app.inject({ method: 'POST', url: '/v1/auth/password-reset/confirm', payload: { token, newPassword } })).statusCode).toBe(204)
    expect(await inspector.exists(`${PREFIX}thr:s:${passwordStreakKey(email)}`, `${PREFIX}thr:w:${loginWindowKey(email)}`)).toBe(0)
    expect((await login(t, email, newPassword)).statusCode).toBe(200)
    await expectNothingDenied()
  })

  it('gives a streak attempt back when the re-authentication window refuses it unchecked', async () => {
    const t = await instance({ LOGIN_MAX_FAILURES_PER_ACCOUNT: '2' })
    const email = 'reauth@example.test'
    const cookie = await signUpAndLogin(t, email)
    const codes = []
    for (let i = 0; i < 3; i += 1)
      codes.push((await t.app.inject({ method: 'POST', url: '/v1/me/mfa/totp', headers: { cookie }, payload: { password: WRONG } })).statusCode)
    expect(codes).toEqual([401, 401, 429])
    // The third attempt counted on the streak, then was given back (GET, DECR): it was never checked.
    expect(await inspector.get(`${PREFIX}thr:s:${passwordStreakKey(email)}`)).toBe('2')
    await expectNothingDenied()
  })

  it('counts the hourly quota of unsolicited mails to an address', async () => {
    const t = await instance()
    const email = 'quota@example.test'
    const register = () => t.app.inject({ method: 'POST', url: '/v1/auth/register', payload: { email, password: 'a long enough passphrase to register' } })
    expect((await register()).statusCode).toBe(202)
    const before = (await mailsTo(t, email)).length
    for (let i = 0; i < 4; i += 1) expect((await register()).statusCode).toBe(202)
    // Three notices an hour (NOTICE_MAILS_PER_HOUR); the fourth sends nothing.
    expect((await mailsTo(t, email)).length - before).toBe(3)
    await expectNothingDenied()
  })

  it("lets the app's rate limits count in Redis, under the key prefix", async () => {
    const t = await instance({ RATE_LIMIT_MAX: '3' })
    const codes: number[] = []
    for (let i = 0; i < 4; i += 1) codes.push((await t.app.inject({ method: 'GET', url: '/', remoteAddress: '192.0.2.77' })).statusCode)
    // 429 on the fourth proves the counter lives in Redis and the ACL let the script run (the
    // store falls back to counting in the process on a Redis error, and logs it: see below).
    expect(codes).toEqual([200, 200, 200, 429])
    await expectNothingDenied()
  })

  it('lets the app select the database REDIS_URL names', async () => {
    const other = new Redis(`redis://app:${password}@127.0.0.1:${server.port}/1`, {
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      disableClientInfo: true,
    })
    try {
      await new Promise<void>((resolve, reject) => {
        other.once('ready', resolve)
        other.once('error', reject)
      })
      expect(await other.call('EVAL', "return redis.call('INCR', KEYS[1])", '1', 'sss:db1')).toBe(1)
      expect(await client.get('sss:db1')).toBeNull()
    } finally {
      other.disconnect()
    }
    await expectNothingDenied()
  })

  it('refuses every other command, key and script', async () => {
    for (const command of [
      ['FLUSHALL'],
      ['FLUSHDB'],
      ['KEYS', '*'],
      ['SCAN', '0'],
      ['CONFIG', 'GET', '*'],
      ['ACL', 'LIST'],
      ['SCRIPT', 'FLUSH'],
      ['CLIENT', 'LIST'],
      ['MONITOR'],
      ['SHUTDOWN'],
      ['SET', 'sss:x', '1'],
      ['HGETALL', 'sss:x'],
      ['GET', 'other:x'],
      ['INCR', 'other:x'],
      ['DEL', 'other:x'],
      ['HSET', 'other:x', 'n', '1'],
    ])
      await expect(client.call(command[0]!, ...command.slice(1)), command.join(' ')).rejects.toThrow(/NOPERM/)
    // A script runs with the caller's rights: a forbidden command or key inside it is refused too.
    await expect(client.call('EVAL', "return redis.call('SET', KEYS[1], '1')", '1', 'sss:x')).rejects.toThrow(/NOPERM|can't run this command/)
    await expect(client.call('EVAL', "return redis.call('INCR', KEYS[1])", '1', 'other:x')).rejects.toThrow(/NOPERM|can't run this command/)
    await expect(client.call('SUBSCRIBE', 'channel')).rejects.toThrow(/NOPERM/)
    expect(await client.call('EVAL', "return redis.call('INCR', KEYS[1])", '1', 'sss:probe')).toBe(1)
    expect(await denied()).not.toEqual([])
  })
})

describe.skipIf(!available)(`the counters across a Redis restart, as infra/k8s/redis.yaml runs it${skipped}`, () => {
  let dir: string
  let server: RedisServer
  const clients: Redis[] = []
  const apps: TestApp[] = []
  const testDb = useTestDb()
  const password = randomSecret(16).toString('hex')
  const clock = new TestClock(new Date(Math.floor(Date.UTC(2026, 6, 1, 9, 0, 0) / 30_000) * 30_000 + 5_000))
  const env = { REDIS_KEY_PREFIX: PREFIX, ...NO_REQUEST_LIMITS, LOGIN_MAX_FAILURES_PER_IP: '2', LOGIN_MAX_CONSECUTIVE_FAILURES: '3' }

  /** A new app process: its own client (so nothing remembered in the old one's memory), the same database. */
  async function instance(): Promise<TestApp> {
    const client = await appClient(server.port, password)
    clients.push(client)
    const deps = await testDeps(testDb.db, { env, clock, redis: client })
    const app = await buildApp(deps)
    await app.ready()
    const t = { app, deps, testDb, clock }
    apps.push(t)
    return t
  }

  const loginFrom = (t: TestApp, remoteAddress: string, email: string, pw: string) =>
    t.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email, password: pw }, remoteAddress })

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sss-redis-restart-'))
    const template = await readFile(path.resolve('infra/redis/users.acl.template'), 'utf8')
    await writeFile(path.join(dir, 'users.acl'), template.replace('__APP_PASSWORD__', password), { mode: 0o600 })
    server = await RedisServer.start(await manifestArgs(dir))
  })

  afterAll(async () => {
    for (const t of apps) await t.app.close()
    for (const c of clients) c.disconnect()
    await server?.stop()
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('keeps an address window and a consecutive-failure streak: a refused login stays refused', async () => {
    const before = await instance()
    const email = 'restart@example.test'
    await signUpAndLogin(before, email)
    // An address past its window (unknown addresses, so only the address's limit refuses).
    const codes = []
    for (let i = 0; i < 3; i += 1) codes.push((await loginFrom(before, '192.0.2.10', `nobody${i}@example.test`, WRONG)).statusCode)
    expect(codes).toEqual([401, 401, 429])
    // An account past its streak cap, from addresses of its own.
    for (let i = 0; i < 3; i += 1) expect((await loginFrom(before, `198.51.100.${i + 1}`, email, WRONG)).statusCode).toBe(401)
    expect((await loginFrom(before, '198.51.100.9', email, 'another long passphrase')).statusCode).toBe(429)

    await server.restart()
    const after = await instance()
    // What the scripts wrote came back, expiry included: Redis logs their effects as MULTI/EXEC
    // blocks, which it replays as the default user (off, but allowed those writes: see the template).
    const window = `${PREFIX}thr:w:${ipKey('login', '192.0.2.10')}`
    const requests = `${PREFIX}rl:POST/v1/auth/login-192.0.2.10`
    expect(await after.deps.redis!.hget(window, 'n')).toBe('3')
    expect(await after.deps.redis!.get(requests)).toBe('3')
    for (const key of [window, requests]) expect(await after.deps.redis!.pttl(key)).toBeGreaterThan(0)
    expect((await loginFrom(after, '192.0.2.10', 'nobody9@example.test', WRONG)).statusCode).toBe(429)
    expect((await login(after, email)).statusCode).toBe(429)
  })
})
