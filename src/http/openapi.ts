// The OpenAPI document (/openapi.json) and a page that renders it (/docs), with a CSP of its own
// that still forbids inline script, framing and third-party origins.
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { SESSION_OR_TOKEN } from './schemas.js'

export const DOCS_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; font-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

async function openapiPlugin(app: FastifyInstance, opts: { title: string; exposeUi: boolean }): Promise<void> {
  await app.register(swagger, {
    // A route's own `security` is kept (a session-only route must not claim bearer); routes under
    // /v1/ (except sign-in itself) that declare none take the session cookie or an API token.
    transform: ({ schema, url }) => ({
      schema:
        url.startsWith('/v1/') && !url.startsWith('/v1/auth/') && schema && schema.security === undefined ? { ...schema, security: SESSION_OR_TOKEN } : schema,
      url,
    }),
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
  app.get('/openapi.json', { schema: { hide: true }, config: { rateLimit: { max: 60, timeWindow: 60_000 } } }, async () => app.swagger())
  if (opts.exposeUi) {
    await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: DOCS_CSP, uiConfig: { deepLinking: false } })
  }
}

export const openapi = fp(openapiPlugin, { name: 'openapi', fastify: '5.x' })
