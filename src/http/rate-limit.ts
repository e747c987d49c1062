// A global per-client request budget (OWASP ASVS 5.0 V2.4). Routes that take credentials or send
// mail set stricter limits of their own through `config.rateLimit`. With REDIS_URL the counters
// are shared by every instance, with an in-process fallback while Redis is down; without it each
// process counts alone. IPv6 clients count by their /64.
import rateLimit from '@fastify/rate-limit'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Redis } from 'ioredis'
import { CommonErrors } from '../errors.js'
import { clientKey } from '../throttle/client-key.js'
import { redisWithLocalFallback } from './rate-limit-store.js'

export interface RateLimitOptions {
  max: number
  redis: Redis | undefined
  /** Prefix of the shared counters' keys in Redis. */
  keyPrefix: string
}

async function rateLimitPlugin(app: FastifyInstance, opts: RateLimitOptions): Promise<void> {
  await app.register(rateLimit, {
    global: true,
    max: opts.max,
    timeWindow: 60_000,
    // request.ip honours TRUST_PROXY only when proxies are named; a forged X-Forwarded-For is ignored.
    // IPv6 clients share one budget per /64 (one host can rotate through all of it).
    keyGenerator: (request) => clientKey(request.ip),
    // With Redis: shared counters, and this process's own while Redis is down (never no limit at all).
    ...(opts.redis ? { store: redisWithLocalFallback(opts.redis, `${opts.keyPrefix}rl:`, app.log) } : {}),
    // Fail open if counting fails anyway: the login and MFA throttles fail closed on their own.
    skipOnError: true,
    errorResponseBuilder: (_request, context) => CommonErrors.rateLimited(context.ttl / 1000),
  })
}

export const rateLimits = fp(rateLimitPlugin, { name: 'rate-limits', fastify: '5.x' })
