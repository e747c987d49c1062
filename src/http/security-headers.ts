// Response headers for a JSON API (OWASP ASVS 5.0 V3.4): a CSP that allows nothing, HSTS,
// no-sniff, frame-deny, no-referrer, and no caching of API answers that may hold personal data.
// @fastify/helmet decides the set: it runs once, at start-up, on a throw-away instance with the
// options below, and the headers it wrote are copied onto each reply by one synchronous hook, with
// the request id. Helmet's own per-request middleware chain cost more than the rest of /healthz
// (docs/decisions/0066); its knowledge of which headers to send is kept. A route may still set its
// own value (the docs page and the reference pages set their own CSP).
import helmet, { type FastifyHelmetOptions } from '@fastify/helmet'
import Fastify, { type FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

/** What this project asks of helmet: a JSON API needs to load nothing and be framed by no one. */
export const HELMET_OPTIONS: FastifyHelmetOptions = {
  contentSecurityPolicy: {
    useDefaults: false,
    directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"] },
  },
  // RFC 6797; one year, as the HSTS preload list asks. Browsers ignore it over plain http.
  strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: true },
  frameguard: { action: 'deny' },
  referrerPolicy: { policy: 'no-referrer' },
  crossOriginResourcePolicy: { policy: 'same-origin' },
  crossOriginOpenerPolicy: { policy: 'same-origin' },
  // The legacy XSS auditor is itself an attack surface: helmet switches it off (X-XSS-Protection: 0).
}

// Headers of the probe's answer that describe the transport, not the security policy.
const TRANSPORT = new Set(['content-type', 'content-length', 'date', 'connection', 'keep-alive'])

/** Runs helmet once on a throw-away instance and returns the headers it set, lower-case names. */
async function headersFromHelmet(): Promise<Readonly<Record<string, string>>> {
  const probe = Fastify({ logger: false })
  await probe.register(helmet, HELMET_OPTIONS)
  probe.get('/', async () => '')
  const res = await probe.inject({ method: 'GET', url: '/' })
  await probe.close()
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(res.headers)) if (!TRANSPORT.has(name) && typeof value === 'string') headers[name] = value
  // API answers may hold personal data: never stored by a browser or a shared cache.
  headers['cache-control'] = 'no-store'
  // Powerful browser features nothing here uses, off for every page and any frame (helmet sets no
  // Permissions-Policy). WebAuthn's features default to 'self': the passkey pages keep them.
  headers['permissions-policy'] = 'accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=()'
  return Object.freeze(headers)
}

/** Every header of every answer, lower-case names. Frozen: computed once at start-up, never per request. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = await headersFromHelmet()

const ENTRIES = Object.entries(SECURITY_HEADERS)

async function securityHeadersPlugin(app: FastifyInstance): Promise<void> {
  // Synchronous hook (no promise per request); errors thrown later keep these headers.
  app.addHook('onRequest', (request, reply, done) => {
    for (const [name, value] of ENTRIES) reply.header(name, value)
    reply.header('x-request-id', request.id)
    done()
  })
}

export const securityHeaders = fp(securityHeadersPlugin, { name: 'security-headers', fastify: '5.x' })
