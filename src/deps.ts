// What every feature receives: config, database, clock and logger, passed as plugin options
// (never read from globals), so tests can hand in their own.
import type { Redis } from 'ioredis'
import type { Config } from './config/config.js'
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
  /** Shared counters and revocation fan-out across instances; undefined runs single-instance. */
  readonly redis: Redis | undefined
}
