// The app's Redis user (infra/redis/users.acl.template, written out by infra/secrets/generate.sh)
// may run only the commands the app uses, on its own key prefix. This starts a real redis-server
// with that ACL file, drives the app's rate limits through it, and shows that anything else is
// refused. Skipped where redis-server is not installed.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../app.js'
import { randomSecret } from '../crypto/random.js'
import { testDeps } from '../testing/test-app.js'
import { useTestDb } from '../testing/test-db.js'

function hasRedisServer(): boolean {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0))
    })
  })
}

const available = hasRedisServer()

describe.skipIf(!available)(`the app's Redis ACL${available ? '' : ' [skipped: redis-server is not installed]'}`, () => {
  let dir: string
  let server: ChildProcess
  let port: number
  let app: Redis
  const testDb = useTestDb()
  const password = randomSecret(16).toString('hex')

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sss-redis-acl-'))
    const template = await readFile(path.resolve('infra/redis/users.acl.template'), 'utf8')
    await writeFile(path.join(dir, 'users.acl'), template.replace('__APP_PASSWORD__', password), { mode: 0o600 })
    port = await freePort()
    server = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--aclfile', path.join(dir, 'users.acl'), '--save', '', '--appendonly', 'no', '--dir', dir],
      { stdio: 'ignore' },
    )
    for (let i = 0; i < 50; i += 1) {
      const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0, enableReadyCheck: false })
      probe.on('error', () => undefined)
      const up = await probe.connect().then(
        () => true,
        () => false,
      )
      probe.disconnect()
      if (up) break
      await new Promise((r) => setTimeout(r, 100))
    }
    // The same options as src/server.ts.
    app = new Redis(`redis://app:${password}@127.0.0.1:${port}/0`, { maxRetriesPerRequest: 1, enableOfflineQueue: false, disableClientInfo: true })
    await new Promise<void>((resolve, reject) => {
      app.once('ready', resolve)
      app.once('error', reject)
    })
  })

  afterAll(async () => {
    app?.disconnect()
    server?.kill('SIGTERM')
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('turns the default user off (no unauthenticated access)', async () => {
    const anonymous = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 0, retryStrategy: () => null, enableReadyCheck: false })
    anonymous.on('error', () => undefined)
    try {
      await expect(anonymous.get('sss:x')).rejects.toThrow(/NOAUTH|NOPERM|WRONGPASS/)
    } finally {
      anonymous.disconnect()
    }
  })

  it("lets the app's rate limits count in Redis, under the key prefix", async () => {
    const instance = await buildApp(await testDeps(testDb.db, { env: { RATE_LIMIT_MAX: '3', REDIS_KEY_PREFIX: 'sss:' }, redis: app }))
    try {
      const codes: number[] = []
      for (let i = 0; i < 4; i += 1) codes.push((await instance.inject({ method: 'GET', url: '/', remoteAddress: '192.0.2.77' })).statusCode)
      // 429 on the fourth proves the counter lives in Redis and the ACL let the script run (the
      // plugin fails open on a Redis error, which would answer 200 four times).
      expect(codes).toEqual([200, 200, 200, 429])
    } finally {
      await instance.close()
    }
  })

  it('refuses every other command, key and script', async () => {
    await expect(app.call('FLUSHALL')).rejects.toThrow(/NOPERM/)
    await expect(app.call('KEYS', '*')).rejects.toThrow(/NOPERM/)
    await expect(app.call('CONFIG', 'GET', '*')).rejects.toThrow(/NOPERM/)
    await expect(app.call('SET', 'sss:x', '1')).rejects.toThrow(/NOPERM/)
    await expect(app.call('DEL', 'sss:x')).rejects.toThrow(/NOPERM/)
    await expect(app.call('GET', 'other:x')).rejects.toThrow(/NOPERM/)
    await expect(app.call('INCR', 'other:x')).rejects.toThrow(/NOPERM/)
    // A script runs with the caller's rights: a forbidden command or key inside it is refused too.
    await expect(app.call('EVAL', "return redis.call('SET', KEYS[1], '1')", '1', 'sss:x')).rejects.toThrow(/NOPERM|can't run this command/)
    await expect(app.call('EVAL', "return redis.call('INCR', KEYS[1])", '1', 'other:x')).rejects.toThrow(/NOPERM|can't run this command/)
    await expect(app.call('SUBSCRIBE', 'channel')).rejects.toThrow(/NOPERM/)
    expect(await app.call('EVAL', "return redis.call('INCR', KEYS[1])", '1', 'sss:probe')).toBe(1)
  })
})
