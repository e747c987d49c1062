// MFA_REQUIRED=true: a password alone opens only the enrolment of a second factor; everything else
// answers 403 mfa_enrolment_required until TOTP is confirmed, and TOTP cannot then be turned off.
import { describe, expect, it } from 'vitest'
import { sessionCookieFrom, signedIn, STRONG_PASSWORD } from '../testing/factories.js'
import { useTestApp } from '../testing/test-app.js'
import { referenceTotp } from '../testing/totp-reference.js'

describe('MFA_REQUIRED=true', () => {
  const t = useTestApp({ env: { MFA_REQUIRED: 'true', PASSWORD_MIN_LENGTH: '8' } })

  it('lets a new session only enrol, then opens everything once TOTP is confirmed', async () => {
    const cookie = await signedIn(t, 'must-enrol@example.test')
    let headers = { cookie }
    const blocked = await t.app.inject({ method: 'GET', url: '/v1/sessions', headers })
    expect(blocked.statusCode).toBe(403)
    expect(blocked.json()).toMatchObject({ error: 'mfa_enrolment_required' })
    expect((await t.app.inject({ method: 'POST', url: '/v1/tokens', headers, payload: { name: 'x', scopes: ['account:read'] } })).statusCode).toBe(403)
    expect((await t.app.inject({ method: 'GET', url: '/v1/me', headers })).json()).toMatchObject({ mfaEnabled: false })

    const enrol = await t.app.inject({ method: 'POST', url: '/v1/me/mfa/totp', headers, payload: { password: STRONG_PASSWORD } })
    expect(enrol.statusCode).toBe(200)
    const code = await referenceTotp(enrol.json().secret as string, t.clock.now())
    const confirm = await t.app.inject({ method: 'POST', url: '/v1/me/mfa/totp/confirm', headers, payload: { code } })
    expect(confirm.statusCode).toBe(200)
    // The session gained a factor: it was re-issued, and the cookie it had before is dead.
    const rotated = sessionCookieFrom(confirm)
    expect(rotated).not.toBe(cookie)
    expect((await t.app.inject({ method: 'GET', url: '/v1/me', headers: { cookie } })).statusCode).toBe(401)
    headers = { cookie: rotated }

    expect((await t.app.inject({ method: 'GET', url: '/v1/sessions', headers })).statusCode).toBe(200)
    const off = await t.app.inject({
      method: 'DELETE',
      url: '/v1/me/mfa/totp',
      headers,
      payload: { password: STRONG_PASSWORD, code: await referenceTotp(enrol.json().secret as string, new Date(t.clock.now().getTime() + 30_000)) },
    })
    expect(off.statusCode).toBe(409)
    expect(off.json()).toMatchObject({ error: 'mfa_required' })
  })

  // Found with decision 0101: a password session opened before the account's first factor (an
  // intruder who knew the password, waiting) got everything once the owner enrolled elsewhere.
  it('signs out a password-only session once the account has a second factor: it must sign in with it', async () => {
    const email = 'early-session@example.test'
    const enrolling = await signedIn(t, email)
    const waiting = sessionCookieFrom(await t.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email, password: STRONG_PASSWORD } }))
    expect((await t.app.inject({ method: 'GET', url: '/v1/sessions', headers: { cookie: waiting } })).json()).toMatchObject({ error: 'mfa_enrolment_required' })
    const enrol = await t.app.inject({ method: 'POST', url: '/v1/me/mfa/totp', headers: { cookie: enrolling }, payload: { password: STRONG_PASSWORD } })
    const code = await referenceTotp(enrol.json().secret as string, t.clock.now())
    const confirm = await t.app.inject({ method: 'POST', url: '/v1/me/mfa/totp/confirm', headers: { cookie: enrolling }, payload: { code } })
    expect(confirm.statusCode).toBe(200)
    expect((await t.app.inject({ method: 'GET', url: '/v1/sessions', headers: { cookie: sessionCookieFrom(confirm) } })).statusCode).toBe(200)
    expect((await t.app.inject({ method: 'GET', url: '/v1/sessions', headers: { cookie: waiting } })).statusCode).toBe(401)
    expect((await t.app.inject({ method: 'GET', url: '/v1/me', headers: { cookie: waiting } })).statusCode).toBe(401)
  })
})
