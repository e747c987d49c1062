import { describe, expect, it } from 'vitest'
import { login, sessionCookieFrom, signedIn, STRONG_PASSWORD, tokenFromMail } from '../testing/factories.js'
import { useTestApp } from '../testing/test-app.js'

describe('server-side sessions', () => {
  const t = useTestApp()
  const me = (cookie: string) => t.app.inject({ method: 'GET', url: '/v1/me', headers: { cookie } })

  it('issues a new token at every login and stores only its hash', async () => {
    const a = await signedIn(t, 's1@example.test')
    const b = sessionCookieFrom(await login(t, 's1@example.test'))
    expect(a).not.toBe(b)
    const rows = await t.deps.db.selectFrom('sessions').select(['token_hash']).execute()
    for (const row of rows) {
      expect(row.token_hash).toHaveLength(32)
      expect(row.token_hash.toString('base64url')).not.toBe(a.split('=')[1])
    }
  })

  it('lists sessions, marks the current one, and ends another', async () => {
    const first = await signedIn(t, 's2@example.test')
    const second = sessionCookieFrom(await login(t, 's2@example.test', STRONG_PASSWORD, { 'user-agent': 'second-device' }))
    const list = await t.app.inject({ method: 'GET', url: '/v1/sessions', headers: { cookie: first } })
    expect(list.statusCode).toBe(200)
    const sessions = list.json().sessions as { id: string; current: boolean; userAgent: string | null }[]
    expect(sessions).toHaveLength(2)
    const other = sessions.find((s) => !s.current)!
    expect(other.userAgent).toBe('second-device')
    expect((await t.app.inject({ method: 'DELETE', url: `/v1/sessions/${other.id}`, headers: { cookie: first } })).statusCode).toBe(204)
    expect((await me(second)).statusCode).toBe(401)
    expect((await me(first)).statusCode).toBe(200)
  })

  // Found over HTTP: ending the current session by id left its cookie in the browser, as logout does not.
  it('clears the cookie when the session ended by id is the current one, and only then', async () => {
    const current = await signedIn(t, 's2b@example.test')
    const other = sessionCookieFrom(await login(t, 's2b@example.test'))
    const sessions = (await t.app.inject({ method: 'GET', url: '/v1/sessions', headers: { cookie: current } })).json().sessions as {
      id: string
      current: boolean
    }[]
    const otherEnded = await t.app.inject({ method: 'DELETE', url: `/v1/sessions/${sessions.find((x) => !x.current)!.id}`, headers: { cookie: current } })
    expect(otherEnded.statusCode).toBe(204)
    expect(otherEnded.cookies).toEqual([])
    expect((await me(other)).statusCode).toBe(401)
    const ended = await t.app.inject({ method: 'DELETE', url: `/v1/sessions/${sessions.find((x) => x.current)!.id}`, headers: { cookie: current } })
    expect(ended.statusCode).toBe(204)
    expect(ended.cookies).toEqual([expect.objectContaining({ name: '__Host-session', value: '', path: '/', secure: true, httpOnly: true })])
    expect((await me(current)).statusCode).toBe(401)
  })

  it("answers 404 for another user's session id", async () => {
    const mine = await signedIn(t, 's3@example.test')
    const theirs = await signedIn(t, 's4@example.test')
    const list = await t.app.inject({ method: 'GET', url: '/v1/sessions', headers: { cookie: theirs } })
    const theirId = (list.json().sessions as { id: string }[])[0]!.id
    const res = await t.app.inject({ method: 'DELETE', url: `/v1/sessions/${theirId}`, headers: { cookie: mine } })
    expect(res.statusCode).toBe(404)
    expect((await me(theirs)).statusCode).toBe(200)
  })

  it('ends every other session with DELETE /v1/sessions', async () => {
    const keep = await signedIn(t, 's5@example.test')
    const other = sessionCookieFrom(await login(t, 's5@example.test'))
    expect((await t.app.inject({ method: 'DELETE', url: '/v1/sessions', headers: { cookie: keep } })).statusCode).toBe(204)
    expect((await me(other)).statusCode).toBe(401)
    expect((await me(keep)).statusCode).toBe(200)
  })

  it('expires after the idle timeout, and writes last_seen at most once a minute', async () => {
    const cookie = await signedIn(t, 's6@example.test')
    const seen = async () =>
      (
        await t.deps.db
          .selectFrom('sessions')
          .innerJoin('accounts', 'accounts.id', 'sessions.account_id')
          .select('last_seen_at')
          .where('accounts.email', '=', 's6@example.test')
          .executeTakeFirstOrThrow()
      ).last_seen_at
    const before = await seen()
    t.clock.advance(30)
    await me(cookie)
    expect(await seen()).toEqual(before)
    t.clock.advance(31)
    await me(cookie)
    expect((await seen()).getTime()).toBeGreaterThan(before.getTime())
    t.clock.advance(t.deps.config.auth.sessionIdleSeconds + 1)
    expect((await me(cookie)).statusCode).toBe(401)
  })

  it('expires at the absolute timeout even when active', async () => {
    const cookie = await signedIn(t, 's7@example.test')
    const step = t.deps.config.auth.sessionIdleSeconds - 60
    let elapsed = 0
    while (elapsed + step < t.deps.config.auth.sessionAbsoluteSeconds) {
      t.clock.advance(step)
      elapsed += step
      expect((await me(cookie)).statusCode).toBe(200)
    }
    t.clock.advance(t.deps.config.auth.sessionAbsoluteSeconds - elapsed + 1)
    expect((await me(cookie)).statusCode).toBe(401)
  })

  it('refuses a malformed cookie without error', async () => {
    expect((await me('__Host-session=not-a-token')).statusCode).toBe(401)
  })

  it('ends other sessions at password change, keeping the current one', async () => {
    const current = await signedIn(t, 's8@example.test')
    const other = sessionCookieFrom(await login(t, 's8@example.test'))
    const newPassword = 'a completely different passphrase 42'
    const wrong = await t.app.inject({
      method: 'POST',
      url: '/v1/me/password',
      headers: { cookie: current },
      payload: { currentPassword: 'wrong wrong wrong wrong', newPassword },
    })
    expect(wrong.statusCode).toBe(401)
    expect(wrong.json()).toMatchObject({ error: 'invalid_credentials' })
    expect((await me(other)).statusCode).toBe(200)
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/me/password',
      headers: { cookie: current },
      payload: { currentPassword: STRONG_PASSWORD, newPassword },
    })
    expect(res.statusCode).toBe(204)
    expect((await me(other)).statusCode).toBe(401)
    // The current session continues under a new cookie; the old token stops working.
    expect((await me(sessionCookieFrom(res))).statusCode).toBe(200)
    expect((await me(current)).statusCode).toBe(401)
    expect((await login(t, 's8@example.test')).statusCode).toBe(401)
    expect((await login(t, 's8@example.test', newPassword)).statusCode).toBe(200)
  })

  it('ends every session at password reset and does not log in by itself', async () => {
    const a = await signedIn(t, 's9@example.test')
    await t.app.inject({ method: 'POST', url: '/v1/auth/password-reset', payload: { email: 's9@example.test' } })
    const token = await tokenFromMail(t, 's9@example.test', 'reset-password')
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/password-reset/confirm',
      payload: { token, newPassword: 'reset passphrase that is long enough' },
    })
    expect(res.statusCode).toBe(204)
    expect(res.cookies.find((c) => c.name === '__Host-session')).toBeUndefined()
    expect((await me(a)).statusCode).toBe(401)
  })

  it('ends every session when the account is deleted, and needs the password', async () => {
    const a = await signedIn(t, 's10@example.test')
    const b = sessionCookieFrom(await login(t, 's10@example.test'))
    const refused = await t.app.inject({ method: 'DELETE', url: '/v1/me', headers: { cookie: a }, payload: { password: 'not my password at all' } })
    expect(refused.statusCode).toBe(401)
    expect(refused.json()).toMatchObject({ error: 'invalid_credentials' })
    const res = await t.app.inject({ method: 'DELETE', url: '/v1/me', headers: { cookie: a }, payload: { password: STRONG_PASSWORD } })
    expect(res.statusCode).toBe(204)
    expect((await me(a)).statusCode).toBe(401)
    expect((await me(b)).statusCode).toBe(401)
    expect((await login(t, 's10@example.test')).statusCode).toBe(401)
    const events = await t.deps.db.selectFrom('security_events').select(['type', 'details']).where('type', '=', 'account.deleted').execute()
    expect(events).toHaveLength(1)
    expect(JSON.stringify(events)).not.toContain('s10@example.test')
  })
})
