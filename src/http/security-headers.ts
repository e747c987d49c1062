// Response headers for a JSON API (OWASP ASVS 5.0 V3.4): a CSP that allows nothing, HSTS,
// no-sniff, frame-deny, no-referrer, and no caching of API answers that may hold personal data.
// The set is exactly what @fastify/helmet sets with the options below (security-headers.test.ts
// compares the two), but computed once at start-up and copied onto each reply by one hook, with
// the request id: helmet's per-request middleware chain cost more than the rest of /healthz.
// docs/decisions/0066. A route may still set its own value (the docs page sets its own CSP).
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

/** The CSP of every API answer: a JSON body needs to load nothing and be framed by no one. */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

/** Every header of every answer, lower-case names. Frozen: computed once, never per request. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-security-policy': API_CSP,
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'origin-agent-cluster': '?1',
  'referrer-policy': 'no-referrer',
  // RFC 6797; one year, as the HSTS preload list asks. Browsers ignore it over plain http.
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-dns-prefetch-control': 'off',
  'x-download-options': 'noopen',
  'x-frame-options': 'DENY',
  'x-permitted-cross-domain-policies': 'none',
  // The legacy XSS auditor is itself an attack surface: switched off, as OWASP advises.
  'x-xss-protection': '0',
  // API answers may hold personal data: never stored by a browser or a shared cache.
  'cache-control': 'no-store',
})

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
