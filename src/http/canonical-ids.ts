// RFC 9562 §4: a UUID is read in either case and written in lower case, as PostgreSQL does. An id
// the code compares in JavaScript (is this the caller? the session this request is on?) or writes
// into a hash (the audit chain) must be the form the database gives back: found by a scan, an
// owner "transferred" ownership to themself in upper case and left the organization with none, and
// an upper-case organization id went into the audit chain as typed. So every uuid-shaped path
// parameter is lower-cased on the routes that have parameters (no cost to the others), by a
// route-level onRequest hook: after the app-wide onRequest hooks, which read no parameter, and
// before any preValidation hook (orgScope's), the validation and the handler. An id in a body is
// lower-cased where it is read (canonicalId).
import type { FastifyInstance, FastifyRequest, onRequestHookHandler, RouteOptions } from 'fastify'
import fp from 'fastify-plugin'
import { isUuid } from '../crypto/random.js'

/** `id` in lower case when it is a uuid; anything else unchanged (the schema then judges it). */
export function canonicalId<T>(id: T): T {
  return (typeof id === 'string' && isUuid(id) ? id.toLowerCase() : id) as T
}

function lowerCaseIds(request: FastifyRequest, _reply: unknown, done: () => void): void {
  const params = request.params as Record<string, unknown>
  for (const key of Object.keys(params)) params[key] = canonicalId(params[key])
  done()
}

function withCanonicalIds(route: RouteOptions): void {
  if (!route.url.includes(':')) return
  const own = route.onRequest === undefined ? [] : Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest]
  route.onRequest = [lowerCaseIds, ...(own as onRequestHookHandler[])]
}

async function canonicalIdsPlugin(app: FastifyInstance): Promise<void> {
  app.addHook('onRoute', withCanonicalIds)
}

export const canonicalIds = fp(canonicalIdsPlugin, { name: 'canonical-ids', fastify: '5.x' })
