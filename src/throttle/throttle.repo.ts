// SQL of the failure counters when they live in PostgreSQL (no REDIS_URL): fixed windows in
// auth_throttle, consecutive-failure streaks in auth_failure_streaks. Every count is one atomic
// upsert whose RETURNING says where this attempt stands, so parallel attempts all count.
import { sql } from 'kysely'
import type { Db } from '../db/db.js'

/** Counts one attempt in the window of `key`; returns the count (this one included) and the window start. */
export async function bumpWindow(db: Db, key: string, windowSeconds: number, now: Date): Promise<{ attempts: number; startedAt: Date }> {
  const windowStart = new Date(now.getTime() - windowSeconds * 1000)
  const row = await db
    .insertInto('auth_throttle')
    .values({ key, window_started_at: now, attempts: 1 })
    .onConflict((oc) =>
      oc.column('key').doUpdateSet({
        attempts: sql<number>`case when auth_throttle.window_started_at <= ${windowStart} then 1 else auth_throttle.attempts + 1 end`,
        window_started_at: sql<Date>`case when auth_throttle.window_started_at <= ${windowStart} then ${now} else auth_throttle.window_started_at end`,
      }),
    )
    .returning(['attempts', 'window_started_at'])
    .executeTakeFirstOrThrow()
  return { attempts: row.attempts, startedAt: row.window_started_at }
}

export async function unbumpWindow(db: Db, key: string): Promise<void> {
  await db
    .updateTable('auth_throttle')
    .set({ attempts: sql<number>`greatest(attempts - 1, 0)` })
    .where('key', '=', key)
    .execute()
}

export async function deleteWindows(db: Db, keys: readonly string[]): Promise<void> {
  if (keys.length === 0) return
  await db.deleteFrom('auth_throttle').where('key', 'in', keys).execute()
}

export async function deleteWindowsBefore(db: Db, before: Date): Promise<void> {
  await db.deleteFrom('auth_throttle').where('window_started_at', '<', before).execute()
}

/** Counts one attempt on a streak; returns the streak length, this attempt included. */
export async function bumpStreak(db: Db, key: string, now: Date): Promise<number> {
  const row = await db
    .insertInto('auth_failure_streaks')
    .values({ key, failures: 1, last_failed_at: now })
    .onConflict((oc) => oc.column('key').doUpdateSet({ failures: sql<number>`auth_failure_streaks.failures + 1`, last_failed_at: now }))
    .returning('failures')
    .executeTakeFirstOrThrow()
  return row.failures
}

export async function unbumpStreak(db: Db, key: string): Promise<void> {
  await db
    .updateTable('auth_failure_streaks')
    .set({ failures: sql<number>`greatest(failures - 1, 0)` })
    .where('key', '=', key)
    .execute()
}

export async function deleteStreaks(db: Db, keys: readonly string[]): Promise<void> {
  if (keys.length === 0) return
  await db.deleteFrom('auth_failure_streaks').where('key', 'in', keys).execute()
}
