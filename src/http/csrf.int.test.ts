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
})
