// CSRF defence for cookie-authenticated requests (OWASP ASVS 5.0 V3.5): a state-changing request
// that carries the session cookie is refused when the browser says it comes from another site
// (Origin, or Sec-Fetch-Site when Origin is absent), and when its body is not JSON (a cross-site
// form cannot send application/json without a CORS preflight). SameSite=Lax is the second layer.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { AppError } from '../errors.js'
import { presentedBearer } from './authorization.js'
import { SESSION_COOKIE } from './cookies.js'

/** The methods that change state: the CSRF guard checks them, and the OpenAPI document lists its answers on them. */
export const UNSAFE_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

export const CsrfErrors = {
  crossSite: () => new AppError('csrf_rejected', 403, 'Cross-site request refused'),
  notJson: () => new AppError('unsupported_media_type', 415, 'Send the body as application/json'),
} as const

function isCrossSite(request: FastifyRequest, publicOrigin: string): boolean {
  const origin = request.headers.origin
  if (typeof origin === 'string') return origin !== publicOrigin
  const site = request.headers['sec-fetch-site']
  if (typeof site === 'string') return site !== 'same-origin' && site !== 'none'
  return false // neither header: not a browser, so not a CSRF vector
}

function hasBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length']
  return (length !== undefined && length !== '0') || request.headers['transfer-encoding'] !== undefined
}

async function csrfPlugin(app: FastifyInstance, opts: { publicOrigin: string }): Promise<void> {
  // Synchronous: a safe method (most requests) costs one Set lookup and no promise.
  app.addHook('onRequest', (request, _reply, done) => {
    if (!UNSAFE_METHODS.has(request.method)) return done()
    // A request with nothing in it is fine whatever type it names (API.md): without this, Fastify
    // would parse the empty body by that type (415 for a form or text type, 400 for an empty JSON
    // body). The origin check below never reads the type, so an empty cross-site form still gets 403.
    const empty = !hasBody(request)
    if (empty) delete request.headers['content-type']
    // Only cookie-authenticated requests are exposed: a bearer token is never sent by a browser on
    // its own. Another scheme (Basic, which a browser does send by itself) leaves the cookie in charge.
    if (request.cookies[SESSION_COOKIE] === undefined || presentedBearer(request) !== undefined) return done()
    if (isCrossSite(request, opts.publicOrigin)) return done(CsrfErrors.crossSite())
    const type = request.headers['content-type']
    if (!empty && (typeof type !== 'string' || !/^application\/json\s*(;|$)/i.test(type))) return done(CsrfErrors.notJson())
    done()
  })
}

export const csrfGuard = fp(csrfPlugin, { name: 'csrf-guard', fastify: '5.x', dependencies: ['@fastify/cookie'] })
