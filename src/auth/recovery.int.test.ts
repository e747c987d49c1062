// Recovery that recovers (decision 0042): after a reset, the compromise flag or a password change, nothing
// an intruder held keeps working: sessions, pending MFA logins, API tokens (reset and flag), and a
// stolen API token cannot keep the owner out by ending their sessions in a loop.
import { describe, expect, it } from 'vitest'
import { requirePasswordChange } from './password-compromise.service.js'
import {
  accountIdOf,
  createApiToken,
  enableTotp,
  login,
  mailsTo,
  sessionCookieFrom,
  signUpAndLogin,
  STRONG_PASSWORD,
  tokenFromMail,
} from '../testing/factories.js'
import { useTestApp } from '../testing/test-app.js'
import { PasswordHasher } from '../crypto/password.js'
import { referenceTotp } from '../testing/totp-reference.js'

const NEW_PASSWORD = 'a fresh passphrase after the scare'
const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

describe('recovery', () => {
  const t = useTestApp({ env: { UNAUTHENTICATED_RATE_LIMIT_MAX: '10000' } })
  const me = (headers: Record<string, string>) => t.app.inject({ method: 'GET', url: '/v1/me', headers })
  const changePassword = (cookie: string, body: Record<string, string>) =>
    t.app.inject({ method: 'POST', url: '/v1/me/password', headers: { cookie }, payload: body })

  async function intruderHoldings(email: string) {
    const first = await signUpAndLogin(t, email)
    const apiToken = await createApiToken(t, first, ['account:read'])
    // Confirming TOTP re-issues the session: the intruder holds the rotated cookie.
    const { cookie, secret } = await enableTotp(t, first)
    const pending = sessionCookieFrom(await login(t, email), '__Host-mfa-pending')
    return { cookie, apiToken, secret, pending }
  }

  async function pendingStillWorks(pending: string, secret: string): Promise<boolean> {
    t.clock.advance(30)
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/login/mfa',
      headers: { cookie: pending },
      payload: { code: await referenceTotp(secret, t.clock.now()) },
    })
    return res.statusCode === 200
  }

  it('a password reset revokes every API token, session and pending MFA login, and the mail says so', async () => {
    const held = await intruderHoldings('reset1@example.test')
    await t.app.inject({ method: 'POST', url: '/v1/auth/password-reset', payload: { email: 'reset1@example.test' } })
    const token = await tokenFromMail(t, 'reset1@example.test', 'reset-password')
    expect((await t.app.inject({ method: 'POST', url: '/v1/auth/password-reset/confirm', payload: { token, newPassword: NEW_PASSWORD } })).statusCode).toBe(204)
    expect((await me({ cookie: held.cookie })).statusCode).toBe(401)
    expect((await me(bearer(held.apiToken))).statusCode).toBe(401)
    expect(await pendingStillWorks(held.pending, held.secret)).toBe(false)
    const notice = (await mailsTo(t, 'reset1@example.test')).find((m) => /Your password was reset/.test(m.subject))!
    expect(notice.body_text).toMatch(/API token/)
  })

  it('the compromise flag revokes every API token, session and pending MFA login, and the mail says so', async () => {
    const held = await intruderHoldings('flag1@example.test')
    const id = await accountIdOf(t, 'flag1@example.test')
    expect(await requirePasswordChange(t.deps, id, 'operator', null)).toBe(true)
    expect((await me({ cookie: held.cookie })).statusCode).toBe(401)
    expect((await me(bearer(held.apiToken))).statusCode).toBe(401)
    expect(await pendingStillWorks(held.pending, held.secret)).toBe(false)
    const bodies = (await mailsTo(t, 'flag1@example.test')).map((m) => m.body_text ?? '').join('\n')
    expect(bodies).toMatch(/API token/)
  })

  it('DELETE /v1/sessions refuses an API token with 403 session_required, while one session can still be ended by id', async () => {
    const cookie = await signUpAndLogin(t, 'loop@example.test')
    const other = sessionCookieFrom(await login(t, 'loop@example.test'))
    t.clock.advance(1)
    const stolen = await createApiToken(t, cookie, ['sessions:read', 'sessions:write'])
    const all = await t.app.inject({ method: 'DELETE', url: '/v1/sessions', headers: bearer(stolen) })
    expect(all.statusCode).toBe(403)
    expect(all.json()).toMatchObject({ error: 'session_required' })
    expect((await me({ cookie })).statusCode).toBe(200)
    expect((await me({ cookie: other })).statusCode).toBe(200)
    const list = await t.app.inject({ method: 'GET', url: '/v1/sessions', headers: bearer(stolen) })
    const id = (list.json().sessions as { id: string }[])[0]!.id
    expect((await t.app.inject({ method: 'DELETE', url: `/v1/sessions/${id}`, headers: bearer(stolen) })).statusCode).toBe(204)
  })

  it('a token cannot end a session younger than itself: the owner signs in again and stays in', async () => {
    // Found by a scan: a stolen token holding sessions:write ended each new session of the owner
    // by id as soon as it appeared (5 rounds in 5), the loop decision 0042 meant to close.
    const cookie = await signUpAndLogin(t, 'loop2@example.test')
    t.clock.advance(1)
    const stolen = await createApiToken(t, cookie, ['sessions:read', 'sessions:write'])
    for (let round = 0; round < 3; round += 1) {
      t.clock.advance(1)
      const fresh = sessionCookieFrom(await login(t, 'loop2@example.test'))
      const listed = (await t.app.inject({ method: 'GET', url: '/v1/sessions', headers: bearer(stolen) })).json().sessions as {
        id: string
        createdAt: string
      }[]
      const newest = listed.reduce((a, b) => (a.createdAt > b.createdAt ? a : b))
      const ended = await t.app.inject({ method: 'DELETE', url: `/v1/sessions/${newest.id}`, headers: bearer(stolen) })
      expect(ended.statusCode).toBe(404)
      expect((await me({ cookie: fresh })).statusCode).toBe(200)
    }
  })

  it('a password change rotates the current session cookie: the old token stops working, the new one works, others end', async () => {
    const cookie = await signUpAndLogin(t, 'rotate@example.test')
    const other = sessionCookieFrom(await login(t, 'rotate@example.test'))
    const res = await changePassword(cookie, { currentPassword: STRONG_PASSWORD, newPassword: NEW_PASSWORD })
    expect(res.statusCode).toBe(204)
    const fresh = sessionCookieFrom(res)
    expect(fresh).not.toBe(cookie)
    expect(res.cookies.find((c) => c.name === '__Host-session')).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Lax', path: '/' })
    expect((await me({ cookie })).statusCode).toBe(401)
    expect((await me({ cookie: other })).statusCode).toBe(401)
    expect((await me({ cookie: fresh })).statusCode).toBe(200)
    expect((await mailsTo(t, 'rotate@example.test')).some((m) => /Your password was changed/.test(m.subject))).toBe(true)
  })

  it('lets exactly one of two parallel password changes win: the other finds the current password changed (401)', async () => {
    // Found by a scan: both answered 204 (10 rounds in 10) and the last writer's password won. A
    // slow stored hash keeps both re-checks of the current password in flight at once.
    const slow = await new PasswordHasher({ memoryKiB: 32_768, iterations: 3, parallelism: 1 }, 2, 0).hash(STRONG_PASSWORD)
    for (let round = 0; round < 3; round += 1) {
      const email = `twice${round}@example.test`
      const cookie = await signUpAndLogin(t, email)
      await t.deps.db.updateTable('accounts').set({ password_hash: slow }).where('email', '=', email).execute()
      const results = await Promise.all(
        ['first new passphrase for this', 'second new passphrase for this'].map((newPassword) =>
          changePassword(cookie, { currentPassword: STRONG_PASSWORD, newPassword }),
        ),
      )
      expect(results.map((r) => r.statusCode).sort(), `round ${round}`).toEqual([204, 401])
      const won = results.findIndex((r) => r.statusCode === 204) === 0 ? 'first new passphrase for this' : 'second new passphrase for this'
      expect((await login(t, email, won)).statusCode).toBe(200)
    }
  })

  it('a password change ends every pending MFA login', async () => {
    const { cookie, secret } = await enableTotp(t, await signUpAndLogin(t, 'pending@example.test'))
    const pending = sessionCookieFrom(await login(t, 'pending@example.test'), '__Host-mfa-pending')
    t.clock.advance(30)
    const code = await referenceTotp(secret, t.clock.now())
    expect((await changePassword(cookie, { currentPassword: STRONG_PASSWORD, newPassword: NEW_PASSWORD, code })).statusCode).toBe(204)
    expect(await pendingStillWorks(pending, secret)).toBe(false)
  })

  it('a password change needs a current code when TOTP is on', async () => {
    const { cookie, secret } = await enableTotp(t, await signUpAndLogin(t, 'code@example.test'))
    const none = await changePassword(cookie, { currentPassword: STRONG_PASSWORD, newPassword: NEW_PASSWORD })
    expect(none.statusCode).toBe(401)
    expect(none.json()).toMatchObject({ error: 'mfa_code_required' })
    const wrong = await changePassword(cookie, { currentPassword: STRONG_PASSWORD, newPassword: NEW_PASSWORD, code: '000000' })
    expect(wrong.statusCode).toBe(401)
    expect(wrong.json()).toMatchObject({ error: 'invalid_credentials' })
    const badPassword = await changePassword(cookie, { currentPassword: 'not the current password', newPassword: NEW_PASSWORD })
    expect(badPassword.json()).toMatchObject({ error: 'invalid_credentials' })
    expect((await login(t, 'code@example.test', NEW_PASSWORD)).statusCode).toBe(401) // nothing changed
    t.clock.advance(30)
    const code = await referenceTotp(secret, t.clock.now())
    expect((await changePassword(cookie, { currentPassword: STRONG_PASSWORD, newPassword: NEW_PASSWORD, code })).statusCode).toBe(204)
  })
})
