// Two server processes on loopback ports, one PostgreSQL (a schema of their own) and one Redis (a
// key prefix of their own, never flushed): what one instance does, the other sees on its very
// next request. A global rate limit is counted across both; a session, an API token and a whole
// account ended through one are refused by the other; both run the mail sender and housekeeping
// and no mail goes out twice. Skipped where Redis does not answer (CI provides it: .ci/run).
import { type ChildProcess, spawn } from 'node:child_process'
import type { AddressInfo } from 'node:net'
import { Redis } from 'ioredis'
import { SMTPServer } from 'smtp-server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { testRedisUrlFromEnv } from '../../src/config/test-env.js'
import { randomSecret } from '../../src/crypto/random.js'
import { tsCommand } from '../../src/testing/run-ts.js'
import { TEST_ENV } from '../../src/testing/test-config.js'
import { createTestDb, type TestDb } from '../../src/testing/test-db.js'

const redisUrl = testRedisUrlFromEnv() ?? 'redis://127.0.0.1:6379/15'
const PASSWORD = 'correct horse battery staple orbit'

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

interface Instance {
  child: ChildProcess
  base: string
  lines: string[]
}

async function startInstance(env: Record<string, string>): Promise<Instance> {
  const [command, args] = await tsCommand('src/server.ts')
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
  const lines: string[] = []
  let buffered = ''
  const base = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`instance did not listen: ${lines.join('\n')}`)), 45_000)
    const onData = (chunk: Buffer): void => {
      buffered += chunk.toString()
      const parts = buffered.split('\n')
      buffered = parts.pop() ?? ''
      for (const line of parts) {
        lines.push(line)
        const listening = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(line)
        if (listening?.[1]) {
          clearTimeout(timer)
          resolve(listening[1])
        }
      }
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    child.once('exit', (code) => reject(new Error(`instance exited (${code}): ${lines.join('\n')}`)))
  })
  return { child, base, lines }
}

async function call(instance: Instance, method: string, url: string, opts: { cookie?: string; bearer?: string; body?: unknown } = {}): Promise<Response> {
  const headers: Record<string, string> = {}
  if (opts.cookie) headers['cookie'] = opts.cookie
  if (opts.bearer) headers['authorization'] = `Bearer ${opts.bearer}`
  if (opts.body !== undefined) headers['content-type'] = 'application/json'
  return fetch(`${instance.base}${url}`, { method, headers, ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}) })
}

function cookieOf(res: Response): string {
  const match = /(__Host-session=[^;]+)/.exec(res.headers.get('set-cookie') ?? '')
  if (!match?.[1]) throw new Error(`no session cookie (status ${res.status})`)
  return match[1]
}

const available = await redisAnswers()

// In order (never shuffled): the last test spends the window's global rate-limit budget on both instances.
describe.skipIf(!available)('two instances, one PostgreSQL and one Redis', { shuffle: false }, () => {
  let testDb: TestDb
  let smtp: SMTPServer
  const received: string[] = []
  let a: Instance
  let b: Instance
  const prefix = `test:mi:${randomSecret(6).toString('hex')}:`

  beforeAll(async () => {
    testDb = await createTestDb()
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      onData(stream, _session, callback) {
        let data = ''
        stream.on('data', (chunk: Buffer) => (data += chunk.toString()))
        stream.on('end', () => {
          received.push(/^Subject: (.*)$/m.exec(data)?.[1]?.trim() ?? '')
          callback()
        })
      },
    })
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve))
    const url = new URL(testDb.url)
    url.searchParams.set('options', `-c search_path=${testDb.schema}`)
    const env: Record<string, string> = {
      ...TEST_ENV,
      LOG_LEVEL: 'info',
      LOG_PRETTY: 'false',
      HOST: '127.0.0.1',
      PORT: '0',
      DATABASE_URL: url.toString(),
      MIGRATE_ON_START: 'false',
      REDIS_URL: redisUrl,
      REDIS_KEY_PREFIX: prefix,
      RATE_LIMIT_MAX: '60',
      REQUIRE_VERIFIED_EMAIL: 'false',
      SMTP_URL: `smtp://127.0.0.1:${(smtp.server.address() as AddressInfo).port}`,
      MAIL_POLL_INTERVAL_MS: '100',
      HOUSEKEEPING_INTERVAL_SECONDS: '1',
    }
    ;[a, b] = await Promise.all([startInstance(env), startInstance(env)])
  }, 90_000)

  afterAll(async () => {
    for (const instance of [a, b]) {
      if (instance === undefined || instance.child.exitCode !== null) continue
      const exited = new Promise((r) => instance.child.once('exit', r))
      instance.child.kill('SIGTERM')
      await exited
    }
    await new Promise<void>((resolve) => smtp.close(() => resolve()))
    const redis = new Redis(redisUrl)
    const keys = await redis.keys(`${prefix}*`)
    if (keys.length > 0) await redis.del(...keys)
    redis.disconnect()
    await testDb?.drop()
  })

  it('refuses on one instance a session, a token and an account ended through the other, on the next request', async () => {
    expect((await call(a, 'POST', '/v1/auth/register', { body: { email: 'two@example.test', password: PASSWORD } })).status).toBe(202)
    // The real server hashes with the configured argon2 parameters (the apps tests build in-process
    // use a cheaper hasher, src/testing/test-app.ts TEST_ARGON2).
    const stored = await testDb.db.selectFrom('accounts').select('password_hash').where('email', '=', 'two@example.test').executeTakeFirstOrThrow()
    expect(stored.password_hash).toMatch(new RegExp(`^\\$argon2id\\$v=19\\$m=${TEST_ENV.ARGON2_MEMORY_KIB},p=1,t=${TEST_ENV.ARGON2_ITERATIONS}\\$`))
    const cookie = cookieOf(await call(a, 'POST', '/v1/auth/login', { body: { email: 'two@example.test', password: PASSWORD } }))
    expect((await call(b, 'GET', '/v1/me', { cookie })).status).toBe(200)
    expect((await call(a, 'POST', '/v1/auth/logout', { cookie })).status).toBe(204)
    expect((await call(b, 'GET', '/v1/me', { cookie })).status).toBe(401)

    const cookie2 = cookieOf(await call(b, 'POST', '/v1/auth/login', { body: { email: 'two@example.test', password: PASSWORD } }))
    const created = (await (await call(b, 'POST', '/v1/tokens', { cookie: cookie2, body: { name: 'ci', scopes: ['account:read'] } })).json()) as {
      id: string
      token: string
    }
    expect((await call(a, 'GET', '/v1/me', { bearer: created.token })).status).toBe(200)
    expect((await call(b, 'DELETE', `/v1/tokens/${created.id}`, { cookie: cookie2 })).status).toBe(204)
    expect((await call(a, 'GET', '/v1/me', { bearer: created.token })).status).toBe(401)

    const other = (await (await call(b, 'POST', '/v1/tokens', { cookie: cookie2, body: { name: 'ci-2', scopes: ['account:read'] } })).json()) as {
      token: string
    }
    expect((await call(a, 'GET', '/v1/me', { cookie: cookie2 })).status).toBe(200)
    expect((await call(b, 'DELETE', '/v1/me', { cookie: cookie2, body: { password: PASSWORD } })).status).toBe(204)
    expect((await call(a, 'GET', '/v1/me', { cookie: cookie2 })).status).toBe(401)
    expect((await call(a, 'GET', '/v1/me', { bearer: other.token })).status).toBe(401)
  })

  it('sends each outbox mail once while both instances run the sender, and runs housekeeping on both', async () => {
    const now = new Date()
    const subjects = Array.from({ length: 30 }, (_, i) => `multi-instance ${i}`)
    await testDb.db
      .insertInto('email_outbox')
      .values(subjects.map((subject) => ({ to_address: 'mi@example.test', subject, body_text: 'body', created_at: now, next_attempt_at: now })))
      .execute()
    // An expired session for housekeeping to remove.
    const account = await testDb.db
      .insertInto('accounts')
      .values({ email: 'old@example.test', password_hash: 'x', created_at: now, password_changed_at: now })
      .returning('id')
      .executeTakeFirstOrThrow()
    const longAgo = new Date(now.getTime() - 3 * 86_400_000)
    await testDb.db
      .insertInto('sessions')
      .values({
        account_id: account.id,
        token_hash: Buffer.alloc(32, 7),
        created_at: longAgo,
        last_seen_at: longAgo,
        absolute_expires_at: longAgo,
        ip: null,
        user_agent: null,
      })
      .execute()
    const deadline = Date.now() + 15_000
    for (;;) {
      const pending = await testDb.db
        .selectFrom('email_outbox')
        .select('id')
        .where('subject', 'like', 'multi-instance %')
        .where('sent_at', 'is', null)
        .execute()
      const sessions = await testDb.db.selectFrom('sessions').select('id').where('account_id', '=', account.id).execute()
      if ((pending.length === 0 && sessions.length === 0) || Date.now() > deadline) break
      await new Promise((r) => setTimeout(r, 100))
    }
    const sent = received.filter((s) => s.startsWith('multi-instance '))
    expect(sent.sort()).toEqual([...subjects].sort())
    expect(await testDb.db.selectFrom('sessions').select('id').where('account_id', '=', account.id).execute()).toEqual([])
    for (const instance of [a, b]) expect(instance.lines.some((l) => l.includes('"msg":"housekeeping'))).toBe(true)
    expect([...a.lines, ...b.lines].filter((l) => /"level":(50|60)/.test(l))).toEqual([])
  })

  it('counts one global rate limit across both instances', async () => {
    const first = await call(a, 'GET', '/')
    const second = await call(b, 'GET', '/')
    const remaining = (res: Response): number => Number(res.headers.get('x-ratelimit-remaining'))
    expect(remaining(second)).toBe(remaining(first) - 1)
    let refusedBy = new Set<string>()
    for (let i = 0; i < 80 && refusedBy.size < 2; i += 1) {
      const instance = i % 2 === 0 ? a : b
      const res = await call(instance, 'GET', '/')
      if (res.status === 429) refusedBy = new Set([...refusedBy, instance.base])
    }
    // 60 a minute across both: each instance alone answered far fewer than 60 before refusing.
    expect(refusedBy.size).toBe(2)
  })
})
