// The failure counters in Redis (REDIS_URL): shared by every instance, each count one atomic
// server-side step (a Lua script, or INCR). Windows are judged on the app's clock, as in
// PostgreSQL, so both back-ends agree; a key's TTL only cleans up. Streaks have no TTL: only a
// success or a password reset deletes them (run Redis with a no-eviction policy for these keys).
import type { Redis } from 'ioredis'

// KEYS[1] = window hash {s: start ms, n: count}; ARGV = now ms, window ms. Returns {count, start}.
const BUMP_WINDOW = `
local started = tonumber(redis.call('HGET', KEYS[1], 's'))
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local n
if (not started) or started <= now - window then
  redis.call('HSET', KEYS[1], 's', ARGV[1], 'n', 1)
  started = now
  n = 1
else
  n = redis.call('HINCRBY', KEYS[1], 'n', 1)
end
redis.call('PEXPIRE', KEYS[1], window * 2 + 60000)
return {n, tostring(started)}
`
const UNBUMP_WINDOW = `
local n = tonumber(redis.call('HGET', KEYS[1], 'n'))
if n and n > 0 then redis.call('HINCRBY', KEYS[1], 'n', -1) end
return 0
`
const UNBUMP_STREAK = `
local n = tonumber(redis.call('GET', KEYS[1]))
if n and n > 0 then redis.call('DECR', KEYS[1]) end
return 0
`

type Scripted = Redis & {
  sssBumpWindow(key: string, now: number, windowMs: number): Promise<[number, string]>
  sssUnbumpWindow(key: string): Promise<number>
  sssUnbumpStreak(key: string): Promise<number>
}

function scripted(redis: Redis): Scripted {
  const r = redis as Scripted
  if (typeof r.sssBumpWindow !== 'function') {
    redis.defineCommand('sssBumpWindow', { numberOfKeys: 1, lua: BUMP_WINDOW })
    redis.defineCommand('sssUnbumpWindow', { numberOfKeys: 1, lua: UNBUMP_WINDOW })
    redis.defineCommand('sssUnbumpStreak', { numberOfKeys: 1, lua: UNBUMP_STREAK })
  }
  return r
}

const windowKey = (prefix: string, key: string) => `${prefix}thr:w:${key}`
const streakKey = (prefix: string, key: string) => `${prefix}thr:s:${key}`

export async function bumpWindow(redis: Redis, prefix: string, key: string, windowSeconds: number, now: Date): Promise<{ attempts: number; startedAt: Date }> {
  const [attempts, started] = await scripted(redis).sssBumpWindow(windowKey(prefix, key), now.getTime(), windowSeconds * 1000)
  return { attempts, startedAt: new Date(Number(started)) }
}

export async function unbumpWindow(redis: Redis, prefix: string, key: string): Promise<void> {
  await scripted(redis).sssUnbumpWindow(windowKey(prefix, key))
}

export async function deleteWindows(redis: Redis, prefix: string, keys: readonly string[]): Promise<void> {
  if (keys.length > 0) await redis.del(...keys.map((k) => windowKey(prefix, k)))
}

export async function bumpStreak(redis: Redis, prefix: string, key: string): Promise<number> {
  return redis.incr(streakKey(prefix, key))
}

export async function unbumpStreak(redis: Redis, prefix: string, key: string): Promise<void> {
  await scripted(redis).sssUnbumpStreak(streakKey(prefix, key))
}

export async function deleteStreaks(redis: Redis, prefix: string, keys: readonly string[]): Promise<void> {
  if (keys.length > 0) await redis.del(...keys.map((k) => streakKey(prefix, k)))
}
