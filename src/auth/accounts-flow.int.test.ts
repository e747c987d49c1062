import { describe, expect, it } from 'vitest'
import { NOTICE_MAILS_PER_HOUR, register as registerAccount } from '../accounts/accounts.service.js'
import { PasswordHasher } from '../crypto/password.js'
import { login, mailsTo, register, sessionCookieFrom, signUpAndLogin, STRONG_PASSWORD, tokenFromMail } from '../testing/factories.js'
import { useTestApp } from '../testing/test-app.js'

describe('register -> verify -> login -> me -> logout', () => {
  const t = useTestApp()

  it('walks the whole flow, and /v1/me answers 401 after logout', async () => {
    const reg = await register(t, 'flow@example.test')
    expect(reg.statusCode).toBe(202)
    expect(reg.json()).toEqual({ status: 'pending_verification' })

    const [mail] = await mailsTo(t, 'flow@example.test')
    expect(mail?.subject).toMatch(/Confirm your email/)
    const token = await tokenFromMail(t, 'flow@example.test', 'verify-email')
    expect((await t.app.inject({ method: 'POST', url: '/v1/auth/verify-email', payload: { token, password: STRONG_PASSWORD } })).statusCode).toBe(204)
    // single use
    expect((await t.app.inject({ method: 'POST', url: '/v1/auth/verify-email', payload: { token, password: STRONG_PASSWORD } })).json()).toMatchObject({
      error: 'invalid_token',
    })

    const res = await login(t, 'flow@example.test')
    expect(res.statusCode).toBe(200)
    expect(res.json().user).toMatchObject({ email: 'flow@example.test', emailVerified: true, mfaEnabled: false })
    const cookie = res.cookies.find((c) => c.name === '__Host-session')
    expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Lax', path: '/' })
    expect(cookie?.domain).toBeUndefined()
    expect(cookie?.value.length).toBeGreaterThanOrEqual(43) // 32 bytes, base64url

    const session = sessionCookieFrom(res)
    const me = await t.app.inject({ method: 'GET', url: '/v1/me', headers: { cookie: session } })
    expect(me.statusCode).toBe(200)
    expect(Object.keys(me.json()).sort()).toEqual(['createdAt', 'email', 'emailVerified', 'id', 'mfaEnabled'])

    const out = await t.app.inject({ method: 'POST', url: '/v1/auth/logout', headers: { cookie: session } })
    expect(out.statusCode).toBe(204)
    expect(out.cookies.find((c) => c.name === '__Host-session')?.value).toBe('')
    expect(out.headers['clear-site-data']).toBe('"cookies", "storage"')
    const after = await t.app.inject({ method: 'GET', url: '/v1/me', headers: { cookie: session } })
    expect(after.statusCode).toBe(401)
    expect(after.json()).toEqual({ error: 'unauthenticated', message: 'Authentication required' })
  })

  it('answers 403 email_not_verified only after a correct password, and mails a fresh link', async () => {
    await register(t, 'unverified@example.test')
    expect((await login(t, 'unverified@example.test')).json()).toMatchObject({ error: 'email_not_verified' })
    expect(await mailsTo(t, 'unverified@example.test')).toHaveLength(2)
    expect((await login(t, 'unverified@example.test', 'wrong password entirely here')).json()).toMatchObject({ error: 'invalid_credentials' })
  })

  it('tells the truth in email_not_verified once the hourly cap on new links is spent, and the same every time', async () => {
    // Found by a QA pass: the fourth login within the hour said "we sent you a new link" and sent none.
    await register(t, 'capped@example.test')
    const answers = []
    for (let i = 0; i <= NOTICE_MAILS_PER_HOUR; i += 1) answers.push(await login(t, 'capped@example.test'))
    expect(await mailsTo(t, 'capped@example.test')).toHaveLength(1 + NOTICE_MAILS_PER_HOUR) // the sign-up link, then the cap
    for (const answer of answers) {
      expect(answer.statusCode).toBe(403)
      expect(answer.json()).toEqual(answers[0]!.json()) // a sent and an unsent link answer alike
    }
    const { message } = answers.at(-1)!.json<{ message: string }>()
    expect(message).not.toMatch(/sent you a new link/)
    expect(message).toContain(`at most ${NOTICE_MAILS_PER_HOUR} times an hour`)
  })

  it('refuses a weak password with 422 and the reasons, creating nothing', async () => {
    const res = await register(t, 'weak@example.test', 'password1')
    expect(res.statusCode).toBe(422)
    expect(res.json()).toMatchObject({ error: 'weak_password', reasons: expect.arrayContaining(['too_short']) })
    expect(await mailsTo(t, 'weak@example.test')).toEqual([])
  })

  it('hashes beside the policy check: a refused password answers 422 even when its hash then fails; an accepted one does not hide a failed hash', async () => {
    // Decision 0093: the hash starts before the policy's verdict. A hasher that fails after the
    // verdict must neither turn the 422 into an error nor leave an unhandled rejection (vitest
    // fails the run on one), and an accepted password must still see the hash fail.
    class FailingHasher extends PasswordHasher {
      override hash(): Promise<string> {
        return new Promise((_, reject) => setTimeout(() => reject(new Error('hash failed')), 50))
      }
    }
    const deps = { ...t.deps, hasher: new FailingHasher(t.deps.config.passwords.argon2, 1, 1) }
    const meta = { ip: '192.0.2.1', userAgent: 'vitest' }
    await expect(registerAccount(deps, { email: 'weak-failing@example.test', password: 'password1' }, meta)).rejects.toMatchObject({ code: 'weak_password' })
    await expect(registerAccount(deps, { email: 'strong-failing@example.test', password: STRONG_PASSWORD }, meta)).rejects.toThrow('hash failed')
    await new Promise((r) => setTimeout(r, 100))
    const rows = await t.deps.db
      .selectFrom('accounts')
      .select('email')
      .where('email', 'in', ['weak-failing@example.test', 'strong-failing@example.test'])
      .execute()
    expect(rows).toEqual([])
  })

  it('answers a refused password only once its hash is done: one client in turn cannot stack hashes on the lanes', async () => {
    // Found by a scan: 40 weak sign-ups in turn each answered 422 in 10 ms while their hashes
    // piled up behind, and the next login waited 13.7 s. A refusal now holds its request as long as
    // an acceptance does. One lane, no queue, a hash slower than the policy's verdict.
    const meta = { ip: '192.0.2.2', userAgent: 'vitest' }
    // The scorer's first verdict loads its dictionaries (slower than any hash): load them first.
    await expect(registerAccount(t.deps, { email: 'weak-warm@example.test', password: 'passwordpassword' }, meta)).rejects.toThrow()
    const hasher = new PasswordHasher({ memoryKiB: 65_536, iterations: 3, parallelism: 1 }, 1, 0)
    const deps = { ...t.deps, hasher }
    await expect(registerAccount(deps, { email: 'weak-stacked@example.test', password: 'passwordpassword' }, meta)).rejects.toMatchObject({
      code: 'weak_password',
    })
    expect(hasher.saturated).toBe(false)
  })

  it('refuses unknown fields and malformed emails with 400, creating nothing', async () => {
    const extra = await t.app.inject({ method: 'POST', url: '/v1/auth/register', payload: { email: 'x@example.test', password: STRONG_PASSWORD, admin: true } })
    expect(extra.statusCode).toBe(400)
    expect(extra.json()).toMatchObject({ error: 'validation_failed' })
    const bad = await t.app.inject({ method: 'POST', url: '/v1/auth/register', payload: { email: 'not-an-email', password: STRONG_PASSWORD } })
    expect(bad.statusCode).toBe(400)
    expect(await mailsTo(t, 'x@example.test')).toEqual([])
  })

  it('lists the caller own security events, newest first', async () => {
    const session = await signUpAndLogin(t, 'events@example.test')
    const res = await t.app.inject({ method: 'GET', url: '/v1/me/security-events', headers: { cookie: session, 'user-agent': 'vitest' } })
    expect(res.statusCode).toBe(200)
    const types = res.json().events.map((e: { type: string }) => e.type)
    expect(types).toEqual(['login.succeeded', 'email.verified', 'account.registered'])
  })
})
