// useTestApp(): a built app on its own database for the file that calls it, torn down after.
// Tests drive it through app.inject (real HTTP semantics, real PostgreSQL, no sockets).
// testDeps(): the deps a test hands to a service or to an app it builds itself.
import type { FastifyInstance } from 'fastify'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll } from 'vitest'
import { buildApp } from '../app.js'
import { ensureTenantRole } from '../db/grants.js'
import type { Config } from '../config/config.js'
import { type Clock, createHasher, type Deps } from '../deps.js'
import type { Db } from '../db/db.js'
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
    hasher: createHasher(config),
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
