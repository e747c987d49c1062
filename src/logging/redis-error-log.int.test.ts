// The Redis client's error lines never carry the Redis password: ioredis hangs the failed command on
// its error (`command: { name: 'auth', args: ['app', '<password>'] }`) and retries every few hundred
// milliseconds, so a serialised error printed the password on every reconnect (found by an operator
// pass). A redis-server of this test's own refuses the password the client sends. Skipped where
// redis-server is not installed.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { randomSecret } from '../crypto/random.js'
import { capturedLog } from '../testing/log-capture.js'
import { hasRedisServer, RedisServer } from '../testing/redis-server.js'
import { redisErrorLogger } from './redis-error-log.js'

const available = hasRedisServer()

describe.skipIf(!available)(`the Redis client's error lines${available ? '' : ' [skipped: redis-server is not installed]'}`, () => {
  let dir: string
  let redis: RedisServer | undefined
  const rightPassword = randomSecret(16).toString('hex')
  // What the client sends in AUTH, and must never print.
  const sentPassword = randomSecret(16).toString('hex')

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sss-redis-log-'))
    await writeFile(path.join(dir, 'users.acl'), `user default off\nuser app on >${rightPassword} ~sss:* -@all +info\n`, { mode: 0o600 })
    redis = await RedisServer.start(['--aclfile', path.join(dir, 'users.acl'), '--save', '', '--appendonly', 'no', '--dir', dir])
  })

  afterAll(async () => {
    await redis?.stop()
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('logs a refused AUTH as its reason and command name, never the password, and once however often the client retries', async () => {
    const { log, lines } = capturedLog('info')
    // As src/server.ts builds the client, retrying quickly so that several refusals happen here.
    const client = new Redis(`redis://app:${sentPassword}@127.0.0.1:${redis!.port}/0`, {
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      disableClientInfo: true,
      retryStrategy: () => 50,
    })
    let refusals = 0
    client.on('error', () => (refusals += 1))
    client.on('error', redisErrorLogger(log))
    try {
      await expect.poll(() => refusals, { timeout: 10_000 }).toBeGreaterThanOrEqual(3)
    } finally {
      client.disconnect()
    }
    const text = lines.join('\n')
    expect(text).not.toContain(sentPassword)
    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((r) => r['msg'] === 'redis error')
    expect(records).toHaveLength(1)
    expect(records[0]).toMatchObject({ level: 40, event: 'redis.error', reason: expect.stringMatching(/^WRONGPASS/) as unknown, command: 'auth' })
    expect(Object.keys(records[0]!)).not.toContain('err')
  })
})
