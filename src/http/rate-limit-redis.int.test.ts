// With REDIS_URL, every instance draws from the same per-client budget: two app instances here
// share one counter. Runs where Redis is available (CI sets REDIS_URL_TEST); skipped elsewhere.
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../app.js'
import { testRedisUrlFromEnv } from '../config/test-env.js'
import { randomSecret } from '../crypto/random.js'
import { testDeps } from '../testing/test-app.js'
import { testConfig } from '../testing/test-config.js'
import { useTestDb } from '../testing/test-db.js'

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

describe.skipIf(!available)('rate limits shared through Redis', () => {
  const testDb = useTestDb()
  const redis: Redis[] = []
  const apps: Awaited<ReturnType<typeof buildApp>>[] = []
  const prefix = `test:${randomSecret(6).toString('hex')}:`

  beforeAll(async () => {
    const config = await testConfig({ RATE_LIMIT_MAX: '4', REDIS_KEY_PREFIX: prefix })
    for (let i = 0; i < 2; i += 1) {
      const client = new Redis(redisUrl, { maxRetriesPerRequest: 1 })
      redis.push(client)
      apps.push(await buildApp(await testDeps(testDb.db, { config, redis: client })))
    }
  })
  afterAll(async () => {
    for (const app of apps) await app.close()
    const keys = await redis[0]!.keys(`${prefix}*`)
    if (keys.length > 0) await redis[0]!.del(...keys)
    for (const client of redis) client.disconnect()
  })

  it('counts requests to two instances against one budget', async () => {
    const codes: number[] = []
    for (let i = 0; i < 6; i += 1) codes.push((await apps[i % 2]!.inject({ method: 'GET', url: '/' })).statusCode)
    expect(codes).toEqual([200, 200, 200, 200, 429, 429])
    expect((await redis[0]!.keys(`${prefix}rl:*`)).length).toBeGreaterThan(0)
  })
})
