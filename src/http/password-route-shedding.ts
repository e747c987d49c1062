// Routes that take a password shed first. While the password hasher is saturated (every lane busy
// and the queue full), any route whose body takes the shared `Password` schema answers 503 +
// Retry-After in onRequest: before its body is read or validated, before the rate limit counts it,
// before a session is looked up or a row is read. During a login flood most requests are past the
// queue, and each of them now costs the event loop next to nothing (docs/benchmarks.md), so the
// signed-in requests beside the flood keep their latency. The services still check the hasher
// themselves (the queue can fill between this hook and the hash). docs/decisions/0067.
import type { FastifyInstance, onRequestHookHandler, RouteOptions } from 'fastify'
import fp from 'fastify-plugin'
import { HasherBusyError } from '../crypto/password.js'
import { Password } from './schemas.js'

/** True when the route's body schema has a property that is the shared Password schema. */
export function takesPassword(route: Pick<RouteOptions, 'schema'>): boolean {
  const body = route.schema?.body as { properties?: Record<string, unknown> } | undefined
  return body?.properties !== undefined && Object.values(body.properties).includes(Password)
}

async function passwordRouteSheddingPlugin(app: FastifyInstance, opts: { saturated: () => boolean }): Promise<void> {
  const shed: onRequestHookHandler = (_request, _reply, done) => done(opts.saturated() ? new HasherBusyError() : undefined)
  // Registered before the rate limit's own onRoute hook, so this check runs ahead of its counting.
  app.addHook('onRoute', (route) => {
    if (!takesPassword(route)) return
    const own = route.onRequest === undefined ? [] : Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest]
    route.onRequest = [shed, ...own]
  })
}

export const passwordRouteShedding = fp(passwordRouteSheddingPlugin, { name: 'password-route-shedding', fastify: '5.x' })
