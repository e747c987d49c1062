// The global per-client limit's counters: in Redis (shared by every instance) while it answers,
// and in this process while it does not. A Redis outage must never take the API down, nor switch
// the limit off: each instance then counts alone, in a bounded in-memory map, until Redis is back
// (docs/decisions/0046-counters-in-redis-and-outages.md).
import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit'
import type { FastifyBaseLogger } from 'fastify'
import type { Redis } from 'ioredis'

/** Keys the in-process fallback holds at most; the oldest window goes first. */
export const LOCAL_FALLBACK_MAX_KEYS = 50_000
const WARN_EVERY_MS = 60_000

// KEYS[1] = counter; ARGV[1] = window ms. Returns {count, ttl ms}.
const INCR_WINDOW = `
local current = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if current == 1 or ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {current, ttl}
`

type Scripted = Redis & { sssRateLimit(key: string, windowMs: number): Promise<[number, number]> }
type Result = { current: number; ttl: number }

/** Fixed windows in this process, bounded in size. */
class LocalWindows {
  private readonly windows = new Map<string, { count: number; endsAt: number }>()
  incr(key: string, windowMs: number, nowMs: number): Result {
    let w = this.windows.get(key)
    if (w === undefined || w.endsAt <= nowMs) {
      this.windows.delete(key)
      if (this.windows.size >= LOCAL_FALLBACK_MAX_KEYS) {
        const oldest = this.windows.keys().next()
        if (!oldest.done) this.windows.delete(oldest.value)
      }
      w = { count: 0, endsAt: nowMs + windowMs }
      this.windows.set(key, w)
    }
    w.count += 1
    return { current: w.count, ttl: w.endsAt - nowMs }
  }
}

/** A store class for @fastify/rate-limit: Redis first, this process's memory when Redis fails. */
export function redisWithLocalFallback(redis: Redis, namespace: string, log: FastifyBaseLogger): FastifyRateLimitStoreCtor {
  const r = redis as Scripted
  if (typeof r.sssRateLimit !== 'function') redis.defineCommand('sssRateLimit', { numberOfKeys: 1, lua: INCR_WINDOW })
  const local = new LocalWindows()
  let lastWarnAt = 0

  class RedisWithLocalFallback implements FastifyRateLimitStore {
    constructor(
      _options?: unknown,
      private readonly prefix = namespace,
    ) {}

    incr(key: string, callback: (error: Error | null, result?: Result) => void, timeWindow: number): void {
      const full = this.prefix + key
      r.sssRateLimit(full, timeWindow).then(
        ([current, ttl]) => callback(null, { current, ttl }),
        (err: unknown) => {
          const now = Date.now()
          if (now - lastWarnAt > WARN_EVERY_MS) {
            lastWarnAt = now
            log.warn(
              { event: 'rate_limit.redis_unavailable', reason: err instanceof Error ? err.message : 'unknown' },
              'redis unavailable: rate limit counting in this process',
            )
          }
          callback(null, local.incr(full, timeWindow, now))
        },
      )
    }

    child(routeOptions: Parameters<FastifyRateLimitStore['child']>[0]): FastifyRateLimitStore {
      // The plugin hands the route's options, with the route under `routeInfo` (as its own Redis store reads them).
      const route = (routeOptions as unknown as { routeInfo?: { method?: string; url?: string } }).routeInfo
      return new RedisWithLocalFallback(undefined, `${this.prefix}${route?.method ?? ''}${route?.url ?? ''}-`)
    }
  }
  return RedisWithLocalFallback
}
