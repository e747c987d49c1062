// RFC 9110 §15.5.6: a request whose path a route serves, with a method that route does not serve,
// is 405 with the methods it does serve in Allow; Fastify answers it 404, as if the path did not
// exist (docs/errors.md names `method_not_allowed`). The routes are copied, as they are added, into
// a second router of Fastify's own kind (find-my-way, with the app's router options), which the
// not-found handler asks once per method. Only unanswered requests pay for it: a served request
// never reaches this code, and a 405 is rate-limited like a 404.
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify'
import fp from 'fastify-plugin'
import FindMyWay from 'find-my-way'

export interface RouteMethods {
  /** Registered before the routes: copies each route added after it into the second router. */
  plugin: (app: FastifyInstance) => Promise<void>
  /** The methods some route serves `url` with, in order ("DELETE, GET, HEAD"), or '' when none does. */
  allowedFor(url: string): string
}

export function routeMethods(routerOptions: { maxParamLength: number }): RouteMethods {
  const router = FindMyWay({ maxParamLength: routerOptions.maxParamLength })
  const methods = new Set<string>()
  const seen = new Set<string>()
  const add = (method: string, url: string): void => {
    const key = `${method} ${url}`
    if (seen.has(key)) return
    seen.add(key)
    methods.add(method)
    router.on(method as FindMyWay.HTTPMethod, url, () => undefined)
  }
  const onRoute = (route: RouteOptions): void => {
    for (const method of Array.isArray(route.method) ? route.method : [route.method]) {
      add(method, route.url)
      // Fastify answers HEAD for every GET route (exposeHeadRoutes), whether or not it says so here.
      if (method === 'GET') add('HEAD', route.url)
    }
  }
  return {
    plugin: fp(
      async (app: FastifyInstance) => {
        app.addHook('onRoute', onRoute)
      },
      { name: 'method-not-allowed', fastify: '5.x' },
    ),
    allowedFor: (url) =>
      [...methods]
        .filter((method) => router.find(method as FindMyWay.HTTPMethod, url) !== null)
        .sort()
        .join(', '),
  }
}

/** The not-found handler: 405 with Allow where the path is served with other methods, else 404. */
export function notFoundHandler(routes: RouteMethods) {
  return function notFound(request: FastifyRequest, reply: FastifyReply): FastifyReply {
    const allow = routes.allowedFor(request.url)
    if (allow !== '') {
      return reply.code(405).header('allow', allow).send({ error: 'method_not_allowed', message: 'Method not allowed' })
    }
    return reply.code(404).send({ error: 'not_found', message: 'Not found' })
  }
}
