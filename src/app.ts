// buildApp(deps): the composition root. The order of registration below is the architecture:
// read it top to bottom. Tests use the returned instance through inject(); server.ts listens.
import cookie from '@fastify/cookie'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import { accountsRoutes } from './accounts/accounts.routes.js'
import { resolveApiToken } from './api-tokens/api-tokens.auth.js'
import { apiTokensRoutes } from './api-tokens/api-tokens.routes.js'
import { newId } from './crypto/random.js'
import type { Deps } from './deps.js'
import { authRoutes } from './auth/auth.routes.js'
import { meRoutes } from './auth/me.routes.js'
import { healthRoutes } from './health/health.routes.js'
import { AccessLogController, requestChildLogger } from './logging/access-log.js'
import { csrfGuard } from './http/csrf.js'
import { errorHandler } from './http/error-handler.js'
import { canonicalIds } from './http/canonical-ids.js'
import { answerServerEvents, clientErrors, frameworkErrors } from './http/framework-errors.js'
import { loadShedding } from './http/load-shedding.js'
import { notFoundHandler, routeMethods } from './http/method-not-allowed.js'
import { openapi } from './http/openapi.js'
import { passwordRouteShedding } from './http/password-route-shedding.js'
import { rateLimits } from './http/rate-limit.js'
import { schemaCompilers } from './http/schema-compilers.js'
import { securityHeaders } from './http/security-headers.js'
import { metrics } from './operations/metrics.js'
import { securityTxtRoutes } from './operations/security-txt.routes.js'
import { mfaRoutes } from './mfa/mfa.routes.js'
import { hasConfirmedTotp } from './mfa/mfa.service.js'
import { membersRoutes } from './orgs/members.routes.js'
import { orgRoutes } from './orgs/org.routes.js'
import { orgScope } from './orgs/org-scope.js'
import { holdMembership } from './orgs/orgs.service.js'
import { invitationsAcceptRoutes, orgsRoutes } from './orgs/orgs.routes.js'
import { projectsRoutes } from './projects/projects.routes.js'
import { sessionsRoutes } from './sessions/sessions.routes.js'
import { validateSession } from './sessions/sessions.service.js'
import { principal } from './principal/principal.plugin.js'
import { passkeyLoginRoutes } from './auth/passkey-login.routes.js'
import { passkeysRoutes } from './passkeys/passkeys.routes.js'
import { holdPasskeys } from './passkeys/passkeys.service.js'
import { pagesRoutes } from './pages/pages.routes.js'

const ROUTER_OPTIONS = { maxParamLength: 200 }

export async function buildApp(deps: Deps): Promise<FastifyInstance> {
  const { config } = deps
  // Which methods serve a path, for the 405 of a method a route does not serve (RFC 9110 §15.5.6).
  const routes = routeMethods(ROUTER_OPTIONS)
  // Typed as Fastify's logger so route plugins see the plain FastifyInstance type.
  const logger: FastifyBaseLogger = deps.log
  const app = Fastify({
    loggerInstance: logger,
    // A request id of our own on every request; a client-sent x-request-id is not trusted.
    genReqId: () => newId(),
    requestIdHeader: false,
    // One access line per request instead of Fastify's two (src/logging/access-log.ts).
    logController: new AccessLogController(),
    childLoggerFactory: requestChildLogger,
    trustProxy: config.http.trustProxy,
    bodyLimit: config.http.bodyLimitBytes,
    // Guard against slow-loris style clients and oversized headers.
    requestTimeout: 30_000,
    connectionTimeout: 60_000,
    routerOptions: ROUTER_OPTIONS,
    return503OnClosing: true,
    // Router-level errors (bad URL escape, over-long parameter) run before any hook: see the handler.
    frameworkErrors,
    // What Node's HTTP parser refuses before there is a request: see the handler.
    clientErrorHandler: clientErrors,
    ajv: {
      // Unknown fields are refused by the schemas (additionalProperties: false), never silently
      // dropped or coerced into another type.
      customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: true, allErrors: false },
    },
    // Fastify's compilers, with validators and serializers reused by later builds in the same
    // process (the test suite builds dozens of apps; src/http/schema-compilers.ts).
    schemaController: { compilersFactory: schemaCompilers() },
  }).withTypeProvider<TypeBoxTypeProvider>()
  // Requests Node answers itself, outside Fastify (an unmet Expect, CONNECT): see the handler.
  answerServerEvents(app, routes)

  app.setErrorHandler(errorHandler)
  // Bodies are JSON (API.md): Fastify's own text/plain parser would hand a text body to the schema.
  app.removeContentTypeParser('text/plain')
  // The error code of a refused request, for its access line (src/logging/access-log.ts).
  app.decorateRequest('refusal', null)
  // Security headers and x-request-id: computed once, one synchronous hook (docs/decisions/0066).
  await app.register(securityHeaders)
  // Load shedding: past the event-loop lag limit, 503 + Retry-After before any other work.
  await app.register(loadShedding, { maxEventLoopDelayMs: config.http.loadShedMaxEventLoopDelayMs })
  // Routes that take a password: 503 + Retry-After before any other work while the hasher is full.
  await app.register(passwordRouteShedding, { saturated: () => deps.hasher.saturated })
  await app.register(metrics, { exposeRoute: config.http.metricsPublic, defaultMetrics: deps.collectDefaultMetrics ?? false })
  await app.register(rateLimits, { max: config.http.rateLimitMax, redis: deps.redis, keyPrefix: config.redis.keyPrefix })
  await app.register(cookie)
  // Before any route: it copies each route as it is added.
  await app.register(routes.plugin)
  // Path ids in lower case before anything reads them (RFC 9562; src/http/canonical-ids.ts).
  await app.register(canonicalIds)
  await app.register(csrfGuard, { publicOrigin: config.http.publicOrigin })
  // Who is calling: the principal plugin sits below every feature, so the features hand it their
  // resolvers here: the session cookie (src/sessions/) and the bearer token (src/api-tokens/).
  await app.register(principal, { deps, resolveBearer: resolveApiToken, resolveSession: validateSession })
  await app.register(openapi, { title: config.appName, expose: config.http.exposeDocs })

  // Feature routes. Each feature registers its own plugin here, in this order.
  await app.register(healthRoutes, { deps })
  await app.register(authRoutes, { prefix: '/v1/auth', deps })
  await app.register(accountsRoutes, { prefix: '/v1/me', deps, mfaEnabled: hasConfirmedTotp })
  await app.register(meRoutes, { prefix: '/v1/me', deps })
  await app.register(sessionsRoutes, { prefix: '/v1/sessions', deps })
  await app.register(mfaRoutes, { prefix: '/v1/me/mfa', deps, otherFactors: holdPasskeys })
  await app.register(apiTokensRoutes, { prefix: '/v1/tokens', deps, assertOrgMember: holdMembership })
  await app.register(passkeysRoutes, { prefix: '/v1/me/passkeys', deps })
  await app.register(passkeyLoginRoutes, { prefix: '/v1/auth/passkey', deps })
  // Organizations: every route under /v1/orgs/:orgId sits inside orgScope, which resolves the
  // membership once and checks each route's declared permission (docs/tenancy.md).
  await app.register(orgsRoutes, { prefix: '/v1/orgs', deps })
  await app.register(invitationsAcceptRoutes, { prefix: '/v1/invitations', deps })
  await app.register(orgScope, {
    prefix: '/v1/orgs/:orgId',
    deps,
    routes: [{ plugin: orgRoutes }, { plugin: membersRoutes }, { plugin: projectsRoutes, prefix: '/projects' }],
  })
  await app.register(securityTxtRoutes, { deps })
  // The reference pages (SERVE_PAGES; off by default in production), with their own CSP.
  if (config.http.servePages) await app.register(pagesRoutes)

  // Unknown routes, and known paths asked with another method (405), are rate-limited too, to slow
  // down URL probing.
  app.setNotFoundHandler({ preHandler: app.rateLimit() }, notFoundHandler(routes))
  return app
}
