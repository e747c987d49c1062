// Routes that take a password shed first. While the password hasher is saturated (every lane busy
// and the queue full), any route whose body takes the shared `Password` schema answers 503 +
// Retry-After in the first onRequest hooks: before the cookie is parsed or a session looked up,
// before the rate limit counts the request, before its body is read or validated. During a login
// flood most requests are past the queue, and each of them now costs the event loop next to nothing
// (docs/benchmarks.md), so the signed-in requests beside the flood keep their latency. The services
// still check the hasher themselves (the queue can fill between this hook and the hash).
// docs/decisions/0067.
import type { FastifyInstance, RouteOptions } from 'fastify'
import fp from 'fastify-plugin'
import { HasherBusyError } from '../crypto/password.js'
import { Password } from './schemas.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Set at start-up on every route whose body takes a password (see takesPassword). */
    takesPassword?: true
  }
}

/** True when the route's body schema has a property that is the shared Password schema. */
export function takesPassword(route: Pick<RouteOptions, 'schema'>): boolean {
  const body = route.schema?.body as { properties?: Record<string, unknown> } | undefined
  return body?.properties !== undefined && Object.values(body.properties).includes(Password)
}

async function passwordRouteSheddingPlugin(app: FastifyInstance, opts: { saturated: () => boolean }): Promise<void> {
  app.addHook('onRoute', (route) => {
    if (takesPassword(route)) route.config = { ...route.config, takesPassword: true }
  })
  // Registered before the cookie, CSRF, principal and rate-limit hooks, so it runs ahead of them.
  // The common case costs one boolean: the route is only looked at while the hasher is full.
  app.addHook('onRequest', (request, _reply, done) => {
    if (!opts.saturated() || request.routeOptions.config.takesPassword !== true) done()
    else done(new HasherBusyError())
  })
}

export const passwordRouteShedding = fp(passwordRouteSheddingPlugin, { name: 'password-route-shedding', fastify: '5.x' })
