// What every feature receives: config, database, clock and logger, passed as plugin options
// (never read from globals), so tests can hand in their own.
import type { Redis } from 'ioredis'
import type { Config } from './config/config.js'
import { PasswordHasher } from './crypto/password.js'
import type { Db } from './db/db.js'
import type { Log } from './logging/logger.js'

/** Time comes from here (fixed in tests) for expiry, TOTP windows and throttling. */
export interface Clock {
  now(): Date
}

export const systemClock: Clock = { now: () => new Date() }

export interface Deps {
  readonly config: Config
  readonly db: Db
  readonly clock: Clock
  readonly log: Log
  /** Shared rate-limit and failure counters across instances (decision 0046); undefined runs single-instance. */
  readonly redis: Redis | undefined
  /** argon2id with bounded concurrency; one per process. */
  readonly hasher: PasswordHasher
  /** Process-wide metrics (CPU, memory, event loop); only the server turns them on. */
  readonly collectDefaultMetrics?: boolean
}

export function createHasher(config: Config): PasswordHasher {
  const p = config.passwords
  return new PasswordHasher(p.argon2, p.maxConcurrentHashes, p.maxQueuedHashes)
}
