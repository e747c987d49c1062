import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { createApiToken, signedIn } from '../testing/factories.js'
import { useTestApp } from '../testing/test-app.js'

describe('HTTP baseline', () => {
  const t = useTestApp()

  it('serves GET /healthz and GET /readyz', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200)
    const ready = await t.app.inject({ method: 'GET', url: '/readyz' })
    expect(ready.statusCode).toBe(200)
    expect(ready.json()).toEqual({ status: 'ready' })
  })

  it('answers GET / with the name and the docs link', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/' })
    expect(res.json()).toEqual({ name: t.deps.config.appName, docs: '/docs' })
  })

  it('puts the security headers on every answer, errors included', async () => {
    for (const url of ['/healthz', '/no-such-route']) {
      const res = await t.app.inject({ method: 'GET', url })
      expect(res.headers['content-security-policy']).toContain("default-src 'none'")
      expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'")
      expect(res.headers['strict-transport-security']).toMatch(/max-age=31536000/)
      expect(res.headers['x-content-type-options']).toBe('nosniff')
      expect(res.headers['x-frame-options']).toBe('DENY')
      expect(res.headers['referrer-policy']).toBe('no-referrer')
      expect(res.headers['cache-control']).toBe('no-store')
      expect(res.headers['x-powered-by']).toBeUndefined()
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/)
    }
  })

  it('challenges every 401 with WWW-Authenticate (RFC 9110 §11.6.1), and reads the auth scheme in any case', async () => {
    // Found by a scan: no 401 named a challenge, and `authorization: bearer <token>` was refused.
    const none = await t.app.inject({ method: 'GET', url: '/v1/me' })
    expect(none.statusCode).toBe(401)
    expect(none.headers['www-authenticate']).toBe('Bearer')
    const token = await createApiToken(t, await signedIn(t, 'scheme@example.test'), ['account:read'])
    for (const scheme of ['Bearer', 'bearer', 'BEARER']) {
      expect((await t.app.inject({ method: 'GET', url: '/v1/me', headers: { authorization: `${scheme} ${token}` } })).statusCode, scheme).toBe(200)
    }
  })

  it('reads the session cookie beside an Authorization header of another scheme, and guards it against cross-site requests', async () => {
    // Found by a scan: any Authorization header switched the cookie off, so a site behind a proxy
    // that asks for Basic credentials (a staging site) could never sign anyone in.
    const cookie = await signedIn(t, 'basic-proxy@example.test')
    for (const authorization of ['Basic eDp5', 'Negotiate abc', '']) {
      const res = await t.app.inject({ method: 'GET', url: '/v1/me', headers: { cookie, authorization } })
      expect(res.statusCode, authorization).toBe(200)
    }
    // A request that names a bearer token is still judged by it alone, a malformed one included.
    for (const authorization of ['Bearer not-a-token', 'Bearer', 'bearer  two spaces']) {
      const res = await t.app.inject({ method: 'GET', url: '/v1/me', headers: { cookie, authorization } })
      expect(res.statusCode, authorization).toBe(401)
    }
    // The browser sends the proxy's credentials on a cross-site request too: the cookie it rides
    // beside meets the CSRF guard as any cookie does.
    const crossSite = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/logout',
      headers: { cookie, authorization: 'Basic eDp5', origin: 'https://evil.example' },
    })
    expect(crossSite.statusCode).toBe(403)
    expect(crossSite.json()).toMatchObject({ error: 'csrf_rejected' })
    expect((await t.app.inject({ method: 'GET', url: '/v1/me', headers: { cookie } })).statusCode).toBe(200)
  })

  it('refuses a request with two Authorization headers (RFC 9110 names one credential)', async () => {
    // Found by a scan: Node keeps the first and drops the rest, so a proxy that reads the last one
    // would see another caller than the app does.
    const token = await createApiToken(t, await signedIn(t, 'two-headers@example.test'), ['account:read'])
    const res = await t.app.inject({
      method: 'GET',
      url: '/v1/me',
      headers: { authorization: [`Bearer ${token}`, 'Bearer sss_other'] as unknown as string },
    })
    expect(res.statusCode).toBe(400)
    expect(res.json()).toEqual({ error: 'bad_request', message: 'Send one Authorization header' })
    expect((await t.app.inject({ method: 'GET', url: '/v1/me', headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(200)
  })

  it('answers a text/plain body with 415, as every type but JSON', async () => {
    // Found by a scan: Fastify's own text/plain parser let such a body through to the schema (400).
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      headers: { 'content-type': 'text/plain' },
      payload: '{"email":"a@b.test","password":"x"}',
    })
    expect(res.statusCode).toBe(415)
    expect(res.json()).toMatchObject({ error: 'unsupported_media_type' })
  })

  it('answers an unknown route with 404 in the error model', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/nope' })
    expect(res.statusCode).toBe(404)
    expect(res.json()).toEqual({ error: 'not_found', message: 'Not found' })
  })

  // RFC 9110 §15.5.6: a method the resource does not support is 405 with the methods it does
  // support in Allow (docs/errors.md); a path no route serves stays 404.
  it('answers a known path with a method it does not serve with 405 method_not_allowed and Allow', async () => {
    const id = '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b'
    for (const [method, url, allow] of [
      ['PUT', '/v1/me', 'DELETE, GET, HEAD'],
      ['POST', '/healthz', 'GET, HEAD'],
      ['TRACE', '/healthz', 'GET, HEAD'],
      ['OPTIONS', '/v1/auth/login', 'POST'],
      ['GET', `/v1/sessions/${id}`, 'DELETE'],
      ['DELETE', '/v1/auth/login?next=x', 'POST'],
    ] as const) {
      const res = await t.app.inject({ method, url })
      expect(res.statusCode, `${method} ${url}`).toBe(405)
      expect(res.headers.allow, `${method} ${url}`).toBe(allow)
      expect(res.json()).toEqual({ error: 'method_not_allowed', message: 'Method not allowed' })
      expect(res.headers['x-request-id']).toBeDefined()
      expect(res.headers['content-security-policy']).toContain("default-src 'none'")
    }
    for (const [method, url] of [
      ['PUT', '/v1/nope'],
      ['GET', '/v1/me/'],
      ['GET', '/V1/ME'],
      ['DELETE', '/v1/sessions/a/b'],
    ] as const) {
      const res = await t.app.inject({ method, url })
      expect(res.statusCode, `${method} ${url}`).toBe(404)
      expect(res.headers.allow).toBeUndefined()
    }
  })

  it('answers malformed JSON with 400 invalid_json and no parser detail', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/', headers: { 'content-type': 'application/json' }, payload: '{"a": ' })
    expect(res.statusCode).toBe(400)
    expect(res.json()).toEqual({ error: 'invalid_json', message: 'The body is not valid JSON' })
    expect(res.body).not.toMatch(/Unexpected|position|at .*\.js/)
  })

  it('answers an oversized body with 413 before reading it all', async () => {
    const big = JSON.stringify({ blob: 'x'.repeat(t.deps.config.http.bodyLimitBytes + 10) })
    const res = await t.app.inject({ method: 'POST', url: '/', headers: { 'content-type': 'application/json' }, payload: big })
    expect(res.statusCode).toBe(413)
    expect(res.json()).toMatchObject({ error: 'payload_too_large' })
  })

  it('ignores a client-sent x-request-id (log injection) and makes its own', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'evil\nline' } })
    expect(res.headers['x-request-id']).not.toContain('evil')
  })

  it('serves the OpenAPI document and the docs page', async () => {
    const doc = await t.app.inject({ method: 'GET', url: '/openapi.json' })
    expect(doc.statusCode).toBe(200)
    expect(doc.json()).toMatchObject({ openapi: '3.1.0' })
    expect(Object.keys(doc.json().paths)).toContain('/readyz')
    expect(doc.json().paths['/v1/me'].get.security).toEqual([{ session: [] }, { bearer: [] }])
    expect(doc.json().paths['/v1/auth/login'].post.security).toBeUndefined()
    const page = await t.app.inject({ method: 'GET', url: '/docs/' })
    expect(page.statusCode).toBe(200)
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'")
  })

  it("keeps a route's own security in the OpenAPI document: a session-only route does not claim bearer", async () => {
    const paths = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json().paths
    const cookieOnly = [{ session: [] }]
    const cookieOrToken = [{ session: [] }, { bearer: [] }]
    expect(paths['/v1/tokens'].post.security).toEqual(cookieOnly)
    expect(paths['/v1/sessions'].delete.security).toEqual(cookieOnly)
    expect(paths['/v1/me/password'].post.security).toEqual(cookieOnly)
    expect(paths['/v1/me'].delete.security).toEqual(cookieOnly)
    expect(paths['/v1/me/mfa/totp'].post.security).toEqual(cookieOnly)
    expect(paths['/v1/me/passkeys'].get.security).toEqual(cookieOnly)
    expect(paths['/v1/me'].get.security).toEqual(cookieOrToken)
    expect(paths['/v1/tokens'].get.security).toEqual(cookieOrToken)
    expect(paths['/v1/sessions'].get.security).toEqual(cookieOrToken)
  })

  it('documents every route of the contract (docs/API.md) under its exact path, none with a trailing slash', async () => {
    const paths = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json().paths as Record<string, Record<string, unknown>>
    const contract = [...readFileSync(new URL('../../docs/API.md', import.meta.url), 'utf8').matchAll(/^\| (GET|POST|PATCH|DELETE) (\/v1\/[^ |,]*)/gm)]
    expect(contract.length).toBeGreaterThan(40)
    const missing = contract
      .map(([, method, path]) => [method?.toLowerCase() ?? '', (path ?? '').replace(/:(\w+)/g, '{$1}')] as const)
      .filter(([method, path]) => paths[path]?.[method] === undefined)
    expect(missing).toEqual([])
    expect(Object.keys(paths).filter((p) => p !== '/' && p.endsWith('/'))).toEqual([])
  })

  // Found over HTTP: the document named only each route's own answers, so a client (or a
  // conformance tool that checks every status against the schema) met undocumented 415, 403 and 429.
  it('documents the answers every route can give beside its own: 400, 429 where limited, 503 where shed, 500; 403, 413 and 415 on state changes; 401 where signed in', async () => {
    const paths = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json().paths as Record<
      string,
      Record<string, { responses: Record<string, unknown>; security?: unknown[] }>
    >
    const missing: string[] = []
    for (const [path, operations] of Object.entries(paths)) {
      for (const [method, op] of Object.entries(operations)) {
        const want = ['400', '500']
        if (path !== '/healthz' && path !== '/readyz') want.push('429')
        if (path !== '/healthz') want.push('503')
        if (['post', 'put', 'patch', 'delete'].includes(method)) want.push('403', '413', '415')
        if ((op.security ?? []).length > 0) want.push('401')
        for (const status of want) if (op.responses[status] === undefined) missing.push(`${method.toUpperCase()} ${path} ${status}`)
      }
    }
    expect(missing).toEqual([])
    // The route's own description of an answer is kept.
    expect(paths['/readyz']?.get?.responses['503']).toBeDefined()
  })
})
