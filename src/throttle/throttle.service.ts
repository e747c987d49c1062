// Failure counters for credential guessing (OWASP ASVS 5.0 V6.3.1, NIST SP 800-63B-4 §3.2.2).
// One row per key in a fixed window. An attempt is *reserved* with one atomic upsert before the
// credential is checked, so N parallel guesses see N distinct counts and only the first `limit`
// are ever checked; a success gives its reservation back. Keys never hold an email in clear.
import { sql } from 'kysely'
import { sha256 } from '../crypto/hash.js'
import type { Db } from '../db/db.js'
import { clientKey } from './client-key.js'

export interface ThrottleRule {
  readonly key: string
  readonly limit: number
  readonly windowSeconds: number
}

export interface Reservation {
  readonly allowed: boolean
  /** Seconds until the window ends (for Retry-After); 0 when allowed. */
  readonly retryAfterSeconds: number
}

export function accountKey(kind: string, email: string): string {
  return `${kind}:acct:${sha256(email.normalize('NFKC').trim().toLowerCase()).toString('hex')}`
}

/** A per-address key: IPv6 clients count by their /64, IPv4-mapped IPv6 as IPv4 (client-key.ts). */
export function ipKey(kind: string, ip: string): string {
  return `${kind}:ip:${clientKey(ip)}`
}

/** Counts one attempt against `rule.key`; allowed while the count stays within the limit. */
export async function reserveAttempt(db: Db, rule: ThrottleRule, now: Date): Promise<Reservation> {
  const windowStart = new Date(now.getTime() - rule.windowSeconds * 1000)
  const row = await db
    .insertInto('auth_throttle')
    .values({ key: rule.key, window_started_at: now, attempts: 1 })
    .onConflict((oc) =>
      oc.column('key').doUpdateSet({
        attempts: sql<number>`case when auth_throttle.window_started_at <= ${windowStart} then 1 else auth_throttle.attempts + 1 end`,
        window_started_at: sql<Date>`case when auth_throttle.window_started_at <= ${windowStart} then ${now} else auth_throttle.window_started_at end`,
      }),
    )
    .returning(['attempts', 'window_started_at'])
    .executeTakeFirstOrThrow()
  if (row.attempts <= rule.limit) return { allowed: true, retryAfterSeconds: 0 }
  const endsAt = row.window_started_at.getTime() + rule.windowSeconds * 1000
  return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((endsAt - now.getTime()) / 1000)) }
}

/** Gives back an attempt that turned out to be a success, so only failures accumulate. */
export async function releaseAttempt(db: Db, key: string): Promise<void> {
  await db.updateTable('auth_throttle').set({ attempts: sql<number>`greatest(attempts - 1, 0)` }).where('key', '=', key).execute()
}

/** Reserves against every rule; refused when any is over its limit (the longest wait wins). */
export async function reserveAll(db: Db, rules: readonly ThrottleRule[], now: Date): Promise<Reservation> {
  let retryAfterSeconds = 0
  for (const rule of rules) {
    const r = await reserveAttempt(db, rule, now)
    if (!r.allowed) retryAfterSeconds = Math.max(retryAfterSeconds, r.retryAfterSeconds)
  }
  return { allowed: retryAfterSeconds === 0, retryAfterSeconds }
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
}

/**
 * Counts one attempt on a consecutive-failure streak before the credential is checked (one atomic
 * upsert, so parallel guesses all count). Allowed while the count stays within `cap`; there is no
 * window: only clearStreaks() (a success, a password reset) starts it again (NIST SP 800-63B-4 §3.2.2).
 */
export async function reserveStreak(db: Db, key: string, cap: number, now: Date): Promise<StreakReservation> {
  const row = await db
    .insertInto('auth_failure_streaks')
    .values({ key, failures: 1, last_failed_at: now })
    .onConflict((oc) => oc.column('key').doUpdateSet({ failures: sql<number>`auth_failure_streaks.failures + 1`, last_failed_at: now }))
    .returning('failures')
    .executeTakeFirstOrThrow()
  return { allowed: row.failures <= cap, failures: row.failures }
}

/** Gives back an attempt that was never checked (refused by another limit first). */
export async function releaseStreak(db: Db, key: string): Promise<void> {
  await db.updateTable('auth_failure_streaks').set({ failures: sql<number>`greatest(failures - 1, 0)` }).where('key', '=', key).execute()
}

/** Ends streaks after a success (or a password reset, the way out past the cap). */
export async function clearStreaks(db: Db, keys: readonly string[]): Promise<void> {
  if (keys.length === 0) return
  await db.deleteFrom('auth_failure_streaks').where('key', 'in', keys).execute()
}

/** Removes windows that ended long ago (called by the outbox worker's housekeeping tick). */
export async function pruneThrottle(db: Db, now: Date, olderThanSeconds: number): Promise<void> {
  await db.deleteFrom('auth_throttle').where('window_started_at', '<', new Date(now.getTime() - olderThanSeconds * 1000)).execute()
}
