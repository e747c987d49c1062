// The OpenAPI document (/openapi.json) and a page that renders it (/docs), with a CSP of its own
// that still forbids inline script, framing and third-party origins.
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { UNSAFE_METHODS } from './csrf.js'
import { ErrorReply, SESSION_OR_TOKEN } from './schemas.js'

export const DOCS_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; font-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

/** An error answer in the document, with what it means on any route. */
function answer(description: string) {
  return { ...ErrorReply, description }
}

const ANY_ROUTE = {
  400: answer('bad_request, validation_failed or invalid_json: the request is malformed (two Authorization headers included)'),
  500: answer('internal_error: nothing internal is said; the request id is logged'),
}
const RATE_LIMITED = { 429: answer('rate_limited: too many requests; Retry-After says when to try again') }
const SHED = { 503: answer('unavailable: overloaded, or a dependency does not answer; Retry-After says when to try again') }
const STATE_CHANGE = {
  403: answer('csrf_rejected: a cross-site request with the session cookie (or a code of the route: forbidden, mfa_required...)'),
  413: answer('payload_too_large: the body is over BODY_LIMIT_BYTES'),
  415: answer('unsupported_media_type: a body that is not application/json'),
}
const SIGNED_IN = { 401: answer('unauthenticated: no valid session cookie or API token') }

/**
 * The answers a route can give beside its own, from the layers in front of every handler (the
 * schemas, the Authorization reader, the global rate limit, load shedding, the CSRF guard, the body
 * limit): added to the document where the route does not describe them itself.
 */
function withSharedAnswers(
  response: Record<string, unknown> | undefined,
  route: { method: string | string[]; config?: { rateLimit?: unknown; pressureHandler?: unknown } },
  signedIn: boolean,
): Record<string, unknown> {
  const methods = Array.isArray(route.method) ? route.method : [route.method]
  return {
    ...ANY_ROUTE,
    ...(route.config?.rateLimit === false ? {} : RATE_LIMITED),
    // NOT_SHED (src/http/load-shedding.ts) gives the liveness probe a pressure handler that never sheds.
    ...(route.config?.pressureHandler === undefined ? SHED : {}),
    ...(methods.some((m) => UNSAFE_METHODS.has(m)) ? STATE_CHANGE : {}),
    ...(signedIn ? SIGNED_IN : {}),
    ...response,
  }
}

async function openapiPlugin(app: FastifyInstance, opts: { title: string; expose: boolean }): Promise<void> {
  await app.register(swagger, {
    // A route's own `security` is kept (a session-only route must not claim bearer); routes under
    // /v1/ (except sign-in itself) that declare none take the session cookie or an API token.
    // Every route also lists the answers the layers in front of it can give (withSharedAnswers).
    transform: ({ schema, url, route }) => {
      if (schema === undefined || schema === null) return { schema, url }
      const security = url.startsWith('/v1/') && !url.startsWith('/v1/auth/') && schema.security === undefined ? SESSION_OR_TOKEN : schema.security
      const signedIn = security !== undefined && security.length > 0
      const response = withSharedAnswers(schema.response as Record<string, unknown> | undefined, route, signedIn)
      return { schema: { ...schema, ...(security === undefined ? {} : { security }), response }, url }
    },
    openapi: {
      openapi: '3.1.0',
      info: { title: opts.title, version: '0.1.0', description: 'Secure SaaS backend starter. Errors are `{error, message}` with a stable code.' },
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: '__Host-session' },
          bearer: { type: 'http', scheme: 'bearer', description: 'API token' },
        },
      },
    },
  })
  // Served only where meant to be (EXPOSE_DOCS, off in production: ASVS 5.0 V13.4.5); the document
  // is still built, for the tests and tools that read app.swagger().
  if (!opts.expose) return
  app.get('/openapi.json', { schema: { hide: true }, config: { rateLimit: { max: 60, timeWindow: 60_000 } } }, async () => app.swagger())
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: DOCS_CSP, uiConfig: { deepLinking: false } })
}

export const openapi = fp(openapiPlugin, { name: 'openapi', fastify: '5.x' })
