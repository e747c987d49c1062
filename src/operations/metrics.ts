// Prometheus metrics (prom-client), one registry per app instance. Counted from responses, so no
// feature needs to know about metrics. The names match infra/prometheus/alerts.yml. /metrics is
// not on the public listener unless METRICS_PUBLIC=true; server.ts can serve it on METRICS_PORT.
import type { FastifyInstance, onResponseHookHandler } from 'fastify'
import fp from 'fastify-plugin'
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client'
import { droppedLogLines } from '../logging/logger.js'

declare module 'fastify' {
  interface FastifyInstance {
    metricsRegistry: Registry
  }
}

async function metricsPlugin(app: FastifyInstance, opts: { exposeRoute: boolean; defaultMetrics: boolean }): Promise<void> {
  const registry = new Registry()
  if (opts.defaultMetrics) collectDefaultMetrics({ register: registry })
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP responses by route and status',
    labelNames: ['method', 'route', 'status_code'],
    registers: [registry],
  })
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP response time',
    labelNames: ['method', 'route'],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  })
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

  // Label-bound children are cached per (method, route, status): prom-client would otherwise hash
  // the label set on every request. Routes are patterns, so the cache stays small.
  const bound = new Map<string, { count: () => void; observe: (seconds: number) => void }>()
  const childFor = (method: string, route: string, status: number) => {
    const key = `${method} ${route} ${status}`
    let child = bound.get(key)
    if (child === undefined) {
      const counter = requests.labels(method, route, String(status))
      const timer = duration.labels(method, route)
      child = { count: () => counter.inc(), observe: (seconds) => timer.observe(seconds) }
      bound.set(key, child)
    }
    return child
  }

  const record = (method: string, route: string, status: number, seconds: number): void => {
    const child = childFor(method, route, status)
    child.count()
    child.observe(seconds)
    if (status === 429) rateLimited.inc({ route })
    if (status === 401 && route === '/v1/auth/login') loginFailures.inc()
  }
  // The route pattern, never the raw URL: ids and tokens must not become label values. Each route
  // gets its own hook with its pattern bound at start-up (reading request.routeOptions builds an
  // object on every access); requests that match no route count as "unmatched".
  app.addHook('onRoute', (route) => {
    const pattern = route.url
    const hook: onResponseHookHandler = (request, reply, done) => {
      record(request.method, pattern, reply.statusCode, reply.elapsedTime / 1000)
      done()
    }
    route.onResponse = route.onResponse === undefined ? [hook] : [...(Array.isArray(route.onResponse) ? route.onResponse : [route.onResponse]), hook]
  })
  app.addHook('onResponse', (request, reply, done) => {
    if (request.is404) record(request.method, 'unmatched', reply.statusCode, reply.elapsedTime / 1000)
    done()
  })

  if (opts.exposeRoute) {
    app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
      return reply.type(registry.contentType).send(await registry.metrics())
    })
  }
}

export const metrics = fp(metricsPlugin, { name: 'metrics', fastify: '5.x' })
