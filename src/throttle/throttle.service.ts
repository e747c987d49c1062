// Failure counters for credential guessing (OWASP ASVS 5.0 V6.3.1, NIST SP 800-63B-4 §3.2.2).
// Fixed windows and consecutive-failure streaks, in Redis when REDIS_URL is set (shared by every
// instance) and in PostgreSQL otherwise. An attempt is *reserved* with one atomic step before the
// credential is checked, so N parallel guesses see N distinct counts and only the first `limit`
// are ever checked; a success gives its reservation back. Keys never hold an email in clear.
// With Redis down, reservations fail closed (503): an outage never opens the gates to guessing.
// A refusal is remembered by this process for a few seconds (REFUSAL_MEMORY_SECONDS): the attempts
// after it are refused again without a round trip, so a flood past a limit costs neither the
// database nor Redis anything (docs/decisions/0096).
import type { Redis } from 'ioredis'
import { recordEvent, type SecurityEvent } from '../audit/audit.service.js'
import { sha256 } from '../crypto/hash.js'
import type { Db } from '../db/db.js'
import type { Deps } from '../deps.js'
import { AppError, CommonErrors } from '../errors.js'
import { emailKey } from '../mail/address.js'
import { clientKey } from './client-key.js'
import { RefusalMemory } from './refusal-memory.js'
import * as redisCounters from './throttle.redis.js'
import * as repo from './throttle.repo.js'

export interface ThrottleRule {
  readonly key: string
  readonly limit: number
  readonly windowSeconds: number
}

export interface Reservation {
  readonly allowed: boolean
  /** Seconds until the window ends (for Retry-After); 0 when allowed. */
  readonly retryAfterSeconds: number
  /**
   * This attempt is the first one refused in its window (of any rule): the one to record. Counts
   * are atomic, so exactly one attempt per window and rule sees it; the refusals after it write
   * nothing, so a flood past the limit cannot grow the audit trail.
   */
  readonly firstRefusal: boolean
}

export function accountKey(kind: string, email: string): string {
  return `${kind}:acct:${sha256(emailKey(email)).toString('hex')}`
}

/** The account's login window: failed logins and re-checks of its password count in it; a reset clears it. */
export function loginWindowKey(email: string): string {
  return accountKey('login', email)
}

/** A per-address key: IPv6 clients count by their /64, IPv4-mapped IPv6 as IPv4 (client-key.ts). */
export function ipKey(kind: string, ip: string): string {
  return `${kind}:ip:${clientKey(ip)}`
}

/**
 * Where the counters live: Redis when the app has a client (REDIS_URL), else PostgreSQL (`db`, which
 * may be the caller's transaction). Every caller passes its deps, so no counter can miss Redis.
 */
export type CounterDeps = Pick<Deps, 'db' | 'redis' | 'config'> & { readonly log?: Deps['log'] }
type Counters = CounterDeps

function backend(c: Counters): { db: Db; redis: Redis | undefined; prefix: string; log: Deps['log'] | undefined } {
  return { db: c.db, redis: c.redis, prefix: c.config.redis.keyPrefix, log: c.log }
}

/**
 * Redis answered with an error (down, unreachable, out of memory): a guessing counter that cannot
 * count must not let the guess through, so the attempt is refused with 503 (fail closed,
 * docs/decisions/0046-counters-in-redis-and-outages.md). The API itself stays up.
 */
function failClosed(log: Deps['log'] | undefined, err: unknown): AppError {
  log?.warn({ event: 'throttle.redis_unavailable', reason: err instanceof Error ? err.message : 'unknown' }, 'redis unavailable: refusing the attempt')
  return CommonErrors.unavailable(5)
}

/** A give-back that fails only leaves a counter one too high (safe side); log it and go on. */
async function bestEffort(log: Deps['log'] | undefined, work: () => Promise<void>): Promise<void> {
  try {
    await work()
  } catch (err) {
    log?.warn({ event: 'throttle.redis_unavailable', reason: err instanceof Error ? err.message : 'unknown' }, 'redis unavailable: counter not given back')
  }
}

/**
 * How long this process repeats a refusal it saw without asking the store again. Only ever a
 * refusal: nothing is let through on memory. Bounded, so a limit lifted elsewhere (a password reset
 * on another instance, an operator clearing a counter) is seen within this many seconds.
 */
export const REFUSAL_MEMORY_SECONDS = 5
/** Refusals remembered per store at most; past it the oldest is forgotten (forgetting costs one round trip). */
export const REFUSAL_MEMORY_MAX_KEYS = 10_000

/** Per counter store (the Redis client, else the database): the refusals this process saw. */
const memories = new WeakMap<object, RefusalMemory>()

function refusalMemory(c: Counters): RefusalMemory {
  const store = c.redis ?? c.db
  let memory = memories.get(store)
  if (memory === undefined) {
    memory = new RefusalMemory(REFUSAL_MEMORY_SECONDS * 1000, REFUSAL_MEMORY_MAX_KEYS)
    memories.set(store, memory)
  }
  return memory
}

/** Seconds to wait when this process saw `key` refused within REFUSAL_MEMORY_SECONDS, else undefined. */
export function rememberedRefusal(counters: Counters, key: string, now: Date): number | undefined {
  const ms = refusalMemory(counters).refusedFor(key, now.getTime())
  return ms === undefined ? undefined : Math.max(1, Math.ceil(ms / 1000))
}

/** The refusal this process remembers for any of `rules` (the first found), counting nothing; else undefined. */
function rememberedReservation(counters: Counters, rules: readonly ThrottleRule[], now: Date): Reservation | undefined {
  for (const rule of rules) {
    const retryAfterSeconds = rememberedRefusal(counters, rule.key, now)
    if (retryAfterSeconds !== undefined) return { allowed: false, retryAfterSeconds, firstRefusal: false }
  }
  return undefined
}

/** Counts one attempt against `rule.key` in the store, remembering a refusal. 503 when Redis fails. */
async function countAttempt(counters: Counters, rule: ThrottleRule, now: Date): Promise<Reservation> {
  const { db, redis, prefix, log } = backend(counters)
  let row: { attempts: number; startedAt: Date }
  if (redis === undefined) row = await repo.bumpWindow(db, rule.key, rule.windowSeconds, now)
  else {
    try {
      row = await redisCounters.bumpWindow(redis, prefix, rule.key, rule.windowSeconds, now)
    } catch (err) {
      throw failClosed(log, err)
    }
  }
  if (row.attempts <= rule.limit) return { allowed: true, retryAfterSeconds: 0, firstRefusal: false }
  const endsAt = row.startedAt.getTime() + rule.windowSeconds * 1000
  refusalMemory(counters).remember(rule.key, now.getTime(), endsAt)
  return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((endsAt - now.getTime()) / 1000)), firstRefusal: row.attempts === rule.limit + 1 }
}

/**
 * Counts one attempt against `rule.key`; allowed while the count stays within the limit. 503 when
 * Redis fails. A refusal this process saw moments ago is repeated without counting (see above).
 */
export async function reserveAttempt(counters: Counters, rule: ThrottleRule, now: Date): Promise<Reservation> {
  return rememberedReservation(counters, [rule], now) ?? countAttempt(counters, rule, now)
}

/**
 * Refuses an attempt past its limit: 429 + Retry-After. Only the window's first refusal is recorded
 * as `login.throttled` (decision 0091): the refusals after it write nothing, so a flood past the
 * limit cannot grow the audit trail.
 */
export async function refuseThrottled(counters: Pick<Counters, 'db'>, reservation: Reservation, event: Omit<SecurityEvent, 'type' | 'orgId'>): Promise<never> {
  if (reservation.firstRefusal) await recordEvent(counters.db, { type: 'login.throttled', ...event })
  throw CommonErrors.rateLimited(reservation.retryAfterSeconds)
}

/** Gives back an attempt that turned out to be a success, so only failures accumulate. */
export async function releaseAttempt(counters: Counters, key: string): Promise<void> {
  refusalMemory(counters).forget([key])
  const { db, redis, prefix, log } = backend(counters)
  if (redis === undefined) return repo.unbumpWindow(db, key)
  await bestEffort(log, () => redisCounters.unbumpWindow(redis, prefix, key))
}

/**
 * Reserves against every rule; refused when any is over its limit (the longest wait wins). A rule
 * refused moments ago refuses at once, counting nothing: an attempt that is never checked is no guess.
 */
export async function reserveAll(counters: Counters, rules: readonly ThrottleRule[], now: Date): Promise<Reservation> {
  const remembered = rememberedReservation(counters, rules, now)
  if (remembered !== undefined) return remembered
  let retryAfterSeconds = 0
  let firstRefusal = false
  for (const rule of rules) {
    const r = await countAttempt(counters, rule, now)
    if (!r.allowed) retryAfterSeconds = Math.max(retryAfterSeconds, r.retryAfterSeconds)
    firstRefusal ||= r.firstRefusal
  }
  return { allowed: retryAfterSeconds === 0, retryAfterSeconds, firstRefusal }
}

/** The password streak of an address (unknown addresses count alike, so the cap reveals nothing). */
export function passwordStreakKey(email: string): string {
  return accountKey('pwstreak', email)
}

/** The second-factor streak (TOTP and recovery codes) of an account. */
export function codeStreakKey(accountId: string): string {
  return `codestreak:acct:${accountId}`
}

export interface StreakReservation {
  readonly allowed: boolean
  /** Consecutive attempts since the last success, this one included. */
  readonly failures: number
  /** The first attempt refused past the cap: the one to record (see Reservation). */
  readonly firstRefusal: boolean
}

/**
 * Counts one attempt on a consecutive-failure streak before the credential is checked (atomic, so
 * parallel guesses all count). Allowed while the count stays within `cap`; there is no window:
 * only clearStreaks() (a success, a password reset) starts it again (NIST SP 800-63B-4 §3.2.2).
 * 503 when Redis fails.
 */
export async function reserveStreak(counters: Counters, key: string, cap: number, now: Date): Promise<StreakReservation> {
  if (rememberedRefusal(counters, key, now) !== undefined) return { allowed: false, failures: cap + 1, firstRefusal: false }
  const { db, redis, prefix, log } = backend(counters)
  let failures: number
  if (redis === undefined) failures = await repo.bumpStreak(db, key, now)
  else {
    try {
      failures = await redisCounters.bumpStreak(redis, prefix, key)
    } catch (err) {
      throw failClosed(log, err)
    }
  }
  // A streak has no window: only a success or a reset ends it, so the memory's own bound applies.
  if (failures > cap) refusalMemory(counters).remember(key, now.getTime(), Number.POSITIVE_INFINITY)
  return { allowed: failures <= cap, failures, firstRefusal: failures === cap + 1 }
}

/** Gives back an attempt that was never checked (refused by another limit first). */
export async function releaseStreak(counters: Counters, key: string): Promise<void> {
  refusalMemory(counters).forget([key])
  const { db, redis, prefix, log } = backend(counters)
  if (redis === undefined) return repo.unbumpStreak(db, key)
  await bestEffort(log, () => redisCounters.unbumpStreak(redis, prefix, key))
}

/** Ends windows before their time: a password reset (proof of the mailbox) lifts the account's login lock. */
export async function clearWindows(counters: Counters, keys: readonly string[]): Promise<void> {
  refusalMemory(counters).forget(keys)
  const { db, redis, prefix, log } = backend(counters)
  if (redis === undefined) return repo.deleteWindows(db, keys)
  await bestEffort(log, () => redisCounters.deleteWindows(redis, prefix, keys))
}

/** Ends streaks after a success (or a password reset, the way out past the cap). */
export async function clearStreaks(counters: Counters, keys: readonly string[]): Promise<void> {
  refusalMemory(counters).forget(keys)
  const { db, redis, prefix, log } = backend(counters)
  if (redis === undefined) return repo.deleteStreaks(db, keys)
  await bestEffort(log, () => redisCounters.deleteStreaks(redis, prefix, keys))
}

/** Removes windows that ended long ago (called by the outbox worker's housekeeping tick). */
export async function pruneThrottle(db: Db, now: Date, olderThanSeconds: number): Promise<void> {
  await repo.deleteWindowsBefore(db, new Date(now.getTime() - olderThanSeconds * 1000))
}
