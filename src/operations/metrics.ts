// Prometheus metrics (prom-client), one registry per app instance. Counted from responses, so no
// feature needs to know about metrics. The names match infra/prometheus/alerts.yml. /metrics is
// not on the public listener unless METRICS_PUBLIC=true; server.ts can serve it on METRICS_PORT.
import type { FastifyInstance, onResponseHookHandler } from 'fastify'
import fp from 'fastify-plugin'
import { collectDefaultMetrics, Counter, Registry } from 'prom-client'
import { droppedLogLines } from '../logging/logger.js'
import { RouteMetrics, type RouteStats } from './route-metrics.js'

declare module 'fastify' {
  interface FastifyInstance {
    metricsRegistry: Registry
  }
}

async function metricsPlugin(app: FastifyInstance, opts: { exposeRoute: boolean; defaultMetrics: boolean }): Promise<void> {
  const registry = new Registry()
  if (opts.defaultMetrics) collectDefaultMetrics({ register: registry })
  const routes = new RouteMetrics(registry)
  const loginFailures = new Counter({ name: 'auth_login_failures_total', help: 'Refused password logins (401)', registers: [registry] })
  const rateLimited = new Counter({ name: 'http_rate_limited_total', help: 'Requests refused with 429', labelNames: ['route'], registers: [registry] })
  new Counter({
    name: 'log_lines_dropped_total',
    help: 'Log lines dropped because the log reader did not keep up (src/logging/logger.ts)',
    registers: [registry],
    collect() {
      this.reset()
      this.inc(droppedLogLines())
    },
  })
  app.decorate('metricsRegistry', registry)

  // Counted per route and method with a few array writes (src/operations/route-metrics.ts); the
  // two counters below change only on a 429 or a failed login.
  const record = (stats: RouteStats, status: number, seconds: number): void => {
    stats.record(status, seconds)
    if (status === 429) rateLimited.inc({ route: stats.route })
    if (status === 401 && stats.route === '/v1/auth/login') loginFailures.inc()
  }
  // The route pattern, never the raw URL: ids and tokens must not become label values. Each route
  // gets its own hook with its statistics bound at start-up (reading request.routeOptions builds an
  // object on every access); requests that match no route count as "unmatched".
  app.addHook('onRoute', (route) => {
    const pattern = route.url
    const single = typeof route.method === 'string' ? routes.stats(route.method, pattern) : undefined
    const hook: onResponseHookHandler = (request, reply, done) => {
      // A HEAD request answered by a GET route's handler shares its hooks: counted as HEAD.
      const stats = single !== undefined && single.method === request.method ? single : routes.stats(request.method, pattern)
      record(stats, reply.statusCode, reply.elapsedTime / 1000)
      done()
    }
    route.onResponse = route.onResponse === undefined ? [hook] : [...(Array.isArray(route.onResponse) ? route.onResponse : [route.onResponse]), hook]
  })
  app.addHook('onResponse', (request, reply, done) => {
    if (request.is404) record(routes.stats(request.method, 'unmatched'), reply.statusCode, reply.elapsedTime / 1000)
    done()
  })

  if (opts.exposeRoute) {
    app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
      return reply.type(registry.contentType).send(await registry.metrics())
    })
  }
}

export const metrics = fp(metricsPlugin, { name: 'metrics', fastify: '5.x' })
