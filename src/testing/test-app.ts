// useTestApp(): a built app on its own database for the file that calls it, torn down after.
// Tests drive it through app.inject (real HTTP semantics, real PostgreSQL, no sockets).
// testDeps(): the deps a test hands to a service or to an app it builds itself.
import type { FastifyInstance } from 'fastify'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll } from 'vitest'
import { buildApp } from '../app.js'
import { ensureTenantRole } from '../db/grants.js'
import type { Config } from '../config/config.js'
import type { Clock, Deps } from '../deps.js'
import { type Argon2Params, PasswordHasher } from '../crypto/password.js'
import { createDb, type Db } from '../db/db.js'
import { createLogger, type Log } from '../logging/logger.js'
import { testConfig } from './test-config.js'
import { createTestDb, type TestDb } from './test-db.js'

/** A clock tests move by hand: expiry, TOTP windows and throttling never need a sleep. */
export class TestClock implements Clock {
  constructor(private current = new Date('2026-01-01T00:00:00Z')) {}
  now(): Date {
    return new Date(this.current)
  }
  advance(seconds: number): void {
    this.current = new Date(this.current.getTime() + seconds * 1000)
  }
  set(date: Date): void {
    this.current = new Date(date)
  }
}

/**
 * argon2id at the smallest cost argon2 accepts (64 KiB, one pass): 0.2 ms of CPU a hash where the
 * configured floor (19 MiB, two passes) costs 45 ms, and the suite makes hundreds of hashes. Tests
 * built by testDeps/startTestApp use it: they are about what the flows do with a hash (verify,
 * refuse, count, rehash), not about its cost. The configured parameters stay proven where they
 * matter: src/crypto/password.test.ts (hash, verify, needsRehash), src/config/config.test.ts (the
 * floor), and every test that starts the real server (src/server.ts builds its hasher from config).
 */
export const TEST_ARGON2: Argon2Params = { memoryKiB: 64, iterations: 1, parallelism: 1 }

/** The test hasher: TEST_ARGON2, with the configured concurrency and queue bounds (the tests of shedding rely on them). */
export function testHasher(config: Config): PasswordHasher {
  return new PasswordHasher(TEST_ARGON2, config.passwords.maxConcurrentHashes, config.passwords.maxQueuedHashes)
}

export interface TestDepsOptions {
  /** Environment overrides for the test config (ignored when `config` is given). */
  env?: Record<string, string>
  config?: Config
  clock?: TestClock
  log?: Log
  redis?: Redis
}

/** Deps for a service-level test or an app a test builds itself: test config, silent log, a TestClock, no Redis unless given. */
export async function testDeps(db: Db, opts: TestDepsOptions = {}): Promise<Deps & { clock: TestClock }> {
  const config = opts.config ?? (await testConfig(opts.env))
  return {
    config,
    db,
    clock: opts.clock ?? new TestClock(),
    log: opts.log ?? createLogger({ level: 'silent', pretty: false }),
    redis: opts.redis,
    hasher: testHasher(config),
  }
}

export interface TestApp {
  app: FastifyInstance
  deps: Deps
  testDb: TestDb
  clock: TestClock
}

export async function startTestApp(opts: { env?: Record<string, string>; config?: Config; clock?: TestClock } = {}): Promise<TestApp> {
  const testDb = await createTestDb()
  const config = opts.config ?? (await testConfig(opts.env))
  // Tenant transactions switch to this role; tests connect as a superuser, which RLS would not bind.
  await ensureTenantRole(testDb.db, config.db.tenantRole, { schema: testDb.schema })
  const deps = await testDeps(testDb.db, { config, clock: opts.clock ?? new TestClock(new Date()) })
  const app = await buildApp(deps)
  await app.ready()
  return { app, deps, testDb, clock: deps.clock }
}

/** Registers beforeAll/afterAll; the returned object is filled in before the first test. */
export function useTestApp(opts: { env?: Record<string, string> } = {}): TestApp {
  const holder = {} as TestApp
  beforeAll(async () => {
    Object.assign(holder, await startTestApp(opts))
  })
  afterAll(async () => {
    await holder.app?.close()
    await holder.testDb?.drop()
  })
  return holder
}

/** A second app over `t`'s database whose pool counts the statements it sends (however built). */
export interface CountingApp {
  app: FastifyInstance
  db: Db
  /** Statements sent since the last reset; set it to 0 before the request to count. */
  statements: number
}

/** Registers beforeAll/afterAll for a CountingApp beside `t` (same deps, its own counting pool). */
export function useCountingApp(t: TestApp): CountingApp {
  const holder = { statements: 0 } as CountingApp
  beforeAll(async () => {
    holder.db = createDb({
      url: t.testDb.url,
      maxConnections: 2,
      searchPath: t.testDb.schema,
      log: (event) => {
        if (event.level === 'query') holder.statements += 1
      },
    })
    holder.app = await buildApp({ ...t.deps, db: holder.db })
  })
  afterAll(async () => {
    await holder.app?.close()
    await holder.db?.destroy()
  })
  return holder
}
