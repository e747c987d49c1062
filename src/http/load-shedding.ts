// Load shedding (OWASP ASVS 5.0 V2.4 spirit: the service degrades, it does not fall over): when
// the event loop lags past the limit, every request but the liveness probe gets 503 with
// Retry-After at once, in the error model, before any database or hashing work. A login flood is
// shed separately, by the password hasher's queue (src/crypto/password.ts): argon2 runs off the
// event loop, so it never shows up here. docs/decisions/0067.
import underPressure from '@fastify/under-pressure'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

/** How often the lag is sampled; the limit compares the mean over one interval. */
const SAMPLE_INTERVAL_MS = 500
const RETRY_AFTER_SECONDS = 5

async function loadSheddingPlugin(app: FastifyInstance, opts: { maxEventLoopDelayMs: number }): Promise<void> {
  if (opts.maxEventLoopDelayMs === 0) return
  await app.register(underPressure, {
    maxEventLoopDelay: opts.maxEventLoopDelayMs,
    sampleInterval: SAMPLE_INTERVAL_MS,
    retryAfter: RETRY_AFTER_SECONDS,
    // The error handler turns this 503 into { error: "unavailable" } with Retry-After.
  })
}

export const loadShedding = fp(loadSheddingPlugin, { name: 'load-shedding', fastify: '5.x' })

/** Route config that keeps a route answering under pressure (the liveness probe: a lagging process is alive). */
export const NOT_SHED = { pressureHandler: (): undefined => undefined }
