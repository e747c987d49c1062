// Liveness, readiness and the root document. /readyz asks the database, with a short timeout,
// so a load balancer stops sending traffic to an instance that cannot serve it.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { sql } from 'kysely'
import { Type } from 'typebox'
import type { Deps } from '../deps.js'
import { CommonErrors, errorReason } from '../errors.js'
import { NOT_SHED } from '../http/load-shedding.js'
import { errorReplies, StrictObject } from '../http/schemas.js'

const READY_TIMEOUT_MS = 2_000
/** The probes' own log level: warnings and errors only, so a 200 writes nothing (decision 0092). */
const PROBE_LOG_LEVEL = 'warn'

const Status = StrictObject({ status: Type.String({ maxLength: 32 }) })

export const healthRoutes: FastifyPluginAsyncTypebox<{ deps: Deps }> = async (app, { deps }) => {
  app.get(
    '/',
    {
      schema: {
        tags: ['operations'],
        response: { 200: StrictObject({ name: Type.String({ maxLength: 128 }), docs: Type.Optional(Type.String({ maxLength: 64 })) }) },
      },
    },
    // Points at the documentation only where it is served (EXPOSE_DOCS).
    async () => (deps.config.http.exposeDocs ? { name: deps.config.appName, docs: '/docs' } : { name: deps.config.appName }),
  )

  // Liveness answers under load shedding too: a slow process is alive, restarting it would not help.
  // The probes poll every few seconds from every load balancer: their successful answers write no
  // access line (PROBE_LOG_LEVEL); a failing /readyz is still logged, and metrics count them all.
  app.get(
    '/healthz',
    { logLevel: PROBE_LOG_LEVEL, config: { rateLimit: false, ...NOT_SHED }, schema: { tags: ['operations'], response: { 200: Status } } },
    async () => ({
      status: 'ok',
    }),
  )

  app.get(
    '/readyz',
    { logLevel: PROBE_LOG_LEVEL, config: { rateLimit: false }, schema: { tags: ['operations'], response: { 200: Status, ...errorReplies(503) } } },
    async (request) => {
      let timer: NodeJS.Timeout | undefined
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS)
      })
      try {
        await Promise.race([sql`select 1`.execute(deps.db), timeout])
      } catch (err) {
        // One warning line per failing probe, with why (the 503 itself is a refusal, logged without a stack).
        request.log.warn({ reason: errorReason(err) }, 'not ready: the database does not answer')
        throw CommonErrors.unavailable()
      } finally {
        clearTimeout(timer)
      }
      return { status: 'ready' }
    },
  )
}
