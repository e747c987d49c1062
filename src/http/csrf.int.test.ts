import { describe, expect, it } from 'vitest'
import { signedIn } from '../testing/factories.js'
import { useTestApp } from '../testing/test-app.js'

describe('CSRF guard on cookie-authenticated state changes', () => {
  const t = useTestApp()

  it('refuses a cross-site Origin with 403 csrf_rejected and changes nothing', async () => {
    const cookie = await signedIn(t, 'csrf@example.test')
    const res = await t.app.inject({ method: 'DELETE', url: '/v1/sessions', headers: { cookie, origin: 'https://evil.example' } })
    expect(res.statusCode).toBe(403)
    expect(res.json()).toMatchObject({ error: 'csrf_rejected' })
    expect((await t.app.inject({ method: 'GET', url: '/v1/me', headers: { cookie } })).statusCode).toBe(200)
  })

  it('refuses Sec-Fetch-Site: cross-site when Origin is absent', async () => {
    const cookie = await signedIn(t, 'csrf2@example.test')
    const res = await t.app.inject({ method: 'POST', url: '/v1/auth/logout', headers: { cookie, 'sec-fetch-site': 'cross-site' } })
    expect(res.statusCode).toBe(403)
  })

  /** A signed-in request whose body is form-encoded, as a cross-site form would send it. */
  async function sendForm(email: string, method: 'POST' | 'DELETE', url: string, payload: string) {
    const cookie = await signedIn(t, email)
    return t.app.inject({ method, url, headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload })
  }

  it('refuses a form-encoded body with 415', async () => {
    expect((await sendForm('csrf3@example.test', 'POST', '/v1/me/password', 'currentPassword=a&newPassword=b')).statusCode).toBe(415)
  })

  it('lets same-origin and header-less (non-browser) requests through', async () => {
    const cookie = await signedIn(t, 'csrf4@example.test')
    const same = await t.app.inject({ method: 'DELETE', url: '/v1/sessions', headers: { cookie, origin: t.deps.config.http.publicOrigin } })
    expect(same.statusCode).toBe(204)
    const bare = await t.app.inject({ method: 'DELETE', url: '/v1/sessions', headers: { cookie } })
    expect(bare.statusCode).toBe(204)
  })

  it('lets a body-less DELETE through whatever Content-Type it names (API.md: a request with no body is fine)', async () => {
    // Found by a scan: clients that name a type on every request got 415 (a form type) or
    // 400 invalid_json (application/json) on a DELETE with nothing in it.
    for (const type of ['application/x-www-form-urlencoded', 'application/json', 'text/plain']) {
      const cookie = await signedIn(t, `csrf-empty-${type.replace(/\W/g, '')}@example.test`)
      const res = await t.app.inject({
        method: 'DELETE',
        url: '/v1/sessions',
        headers: { cookie, origin: t.deps.config.http.publicOrigin, 'content-type': type, 'content-length': '0' },
      })
      expect(res.statusCode, type).toBe(204)
    }
    // A DELETE that does carry a body is still read as one: a form body is refused.
    expect((await sendForm('csrf-form-delete@example.test', 'DELETE', '/v1/me', 'password=x')).statusCode).toBe(415)
  })

  // Found by a tester: an empty POST that named a form or text type got 415 (and an empty JSON one
  // 400 invalid_json), with or without the cookie, although API.md says a request with no body is fine.
  describe('a POST with no body', () => {
    const TYPES = ['application/x-www-form-urlencoded', 'text/plain', 'multipart/form-data; boundary=x', 'application/json']
    /** Content-Length: 0, and no Content-Length at all. */
    const EMPTY: Record<string, string>[] = [{ 'content-length': '0' }, {}]

    it('is fine whatever Content-Type it names, signed in (logout) or not (passkey sign-in options)', async () => {
      for (const type of TYPES) {
        for (const length of EMPTY) {
          const label = `${type} ${JSON.stringify(length)}`
          const cookie = await signedIn(t, `csrf-post-${type.replace(/\W/g, '')}-${Object.keys(length).length}@example.test`)
          const logout = await t.app.inject({
            method: 'POST',
            url: '/v1/auth/logout',
            headers: { cookie, origin: t.deps.config.http.publicOrigin, 'content-type': type, ...length },
          })
          expect(logout.statusCode, label).toBe(204)
          expect((await t.app.inject({ method: 'GET', url: '/v1/me', headers: { cookie } })).statusCode, label).toBe(401)
          const options = await t.app.inject({ method: 'POST', url: '/v1/auth/passkey/options', headers: { 'content-type': type, ...length } })
          expect(options.statusCode, label).toBe(200)
        }
      }
    })

    it('from another site is still refused with 403, by Origin or by Sec-Fetch-Site, and changes nothing', async () => {
      // What a cross-site <form method=post> with no fields sends: a form type and nothing in it.
      const cookie = await signedIn(t, 'csrf-post-cross@example.test')
      for (const site of [{ origin: 'https://evil.example' }, { 'sec-fetch-site': 'cross-site' }, { origin: 'null' }]) {
        for (const type of ['application/x-www-form-urlencoded', 'text/plain']) {
          for (const length of EMPTY) {
            const res = await t.app.inject({ method: 'POST', url: '/v1/auth/logout', headers: { cookie, 'content-type': type, ...site, ...length } })
            expect(res.statusCode, `${JSON.stringify(site)} ${type}`).toBe(403)
            expect(res.json()).toEqual({ error: 'csrf_rejected', message: 'Cross-site request refused' })
          }
        }
      }
      expect((await t.app.inject({ method: 'GET', url: '/v1/me', headers: { cookie } })).statusCode).toBe(200)
    })

    it('is still refused with 415 once it carries a form or text body, signed in or not', async () => {
      const cookie = await signedIn(t, 'csrf-post-body@example.test')
      const origin = t.deps.config.http.publicOrigin
      for (const type of ['application/x-www-form-urlencoded', 'text/plain']) {
        const signedInRes = await t.app.inject({ method: 'POST', url: '/v1/auth/logout', headers: { cookie, origin, 'content-type': type }, payload: 'a=b' })
        expect(signedInRes.statusCode, type).toBe(415)
        expect(signedInRes.json()).toEqual({ error: 'unsupported_media_type', message: expect.any(String) })
        const anonymous = await t.app.inject({ method: 'POST', url: '/v1/auth/passkey/options', headers: { 'content-type': type }, payload: 'a=b' })
        expect(anonymous.statusCode, type).toBe(415)
      }
      expect((await t.app.inject({ method: 'GET', url: '/v1/me', headers: { cookie } })).statusCode).toBe(200)
    })
  })
})
