// Evidence of compromise forces a password change (NIST SP 800-63B-4 §3.1.1.2), in place of the
// periodic expiry the seed checklist asks for and the standards reject.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sha1HexForBreachLookup } from '../crypto/hash.js'
import { accountIdOf, login, mailsTo, signUpAndLogin, STRONG_PASSWORD, tokenFromMail } from '../testing/factories.js'
import { startTestApp, type TestApp, useTestApp } from '../testing/test-app.js'
import { requirePasswordChange } from './password-compromise.service.js'

describe('operator flags a compromised password', () => {
  const t = useTestApp({ env: { UNAUTHENTICATED_RATE_LIMIT_MAX: '10000' } })

  it('ends every session, mails a reset link, and refuses the old password until it is changed', async () => {
    const cookie = await signUpAndLogin(t, 'leaked@example.test')
    const id = await accountIdOf(t, 'leaked@example.test')
    expect(await requirePasswordChange(t.deps, id, 'operator', null)).toBe(true)
    expect((await t.app.inject({ method: 'GET', url: '/v1/me', headers: { cookie } })).statusCode).toBe(401)

    const refused = await login(t, 'leaked@example.test')
    expect(refused.statusCode).toBe(403)
    expect(refused.json()).toMatchObject({ error: 'password_change_required' })
    expect(refused.cookies.find((c) => c.name === '__Host-session')).toBeUndefined()
    // A wrong password still gets the ordinary answer: the flag is shown only to the password's holder.
    expect((await login(t, 'leaked@example.test', 'not the password at all here')).json()).toMatchObject({ error: 'invalid_credentials' })

    const token = await tokenFromMail(t, 'leaked@example.test', 'reset-password')
    const newPassword = 'a fresh passphrase after the leak'
    expect((await t.app.inject({ method: 'POST', url: '/v1/auth/password-reset/confirm', payload: { token, newPassword } })).statusCode).toBe(204)
    expect((await login(t, 'leaked@example.test', newPassword)).statusCode).toBe(200)
    expect((await login(t, 'leaked@example.test', STRONG_PASSWORD)).statusCode).toBe(401)
  })
})

describe('breach check at login (HIBP_ENABLED)', () => {
  let server: Server
  let t: TestApp
  beforeAll(async () => {
    // A stand-in for the range API that knows one breached password: the suite's strong one.
    const digest = sha1HexForBreachLookup(STRONG_PASSWORD)
    server = createServer((req, res) => {
      res.end(req.url === `/range/${digest.slice(0, 5)}` ? `${digest.slice(5)}:42\r\n0000000000000000000000000000000000A:1` : '')
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as AddressInfo
    t = await startTestApp({ env: { HIBP_ENABLED: 'true', HIBP_RANGE_URL: `http://127.0.0.1:${port}/range/` } })
  })
  afterAll(async () => {
    await t.app.close()
    await t.testDb.drop()
    server.close()
  })

  it('refuses to sign up with a breached password', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/v1/auth/register', payload: { email: 'b1@example.test', password: STRONG_PASSWORD } })
    expect(res.statusCode).toBe(422)
    expect(res.json()).toMatchObject({ error: 'weak_password', reasons: ['breached'] })
  })

  it('flags an account whose password turned up in a breach since, at its next login', async () => {
    // Signed up before the password was known to be breached: write the account directly.
    const hash = await t.deps.hasher.hash(STRONG_PASSWORD)
    await t.deps.db.insertInto('accounts').values({ email: 'b2@example.test', password_hash: hash, email_verified_at: new Date() }).execute()
    const res = await login(t, 'b2@example.test')
    expect(res.json()).toMatchObject({ error: 'password_change_required' })
    const subjects = (await mailsTo(t, 'b2@example.test')).map((m) => m.subject)
    expect(subjects).toHaveLength(2)
    expect(subjects).toEqual(expect.arrayContaining([expect.stringMatching(/Your password must be changed/), expect.stringMatching(/Reset your/)]))
    const flagged = await t.deps.db
      .selectFrom('accounts')
      .select('password_change_required_at')
      .where('email', '=', 'b2@example.test')
      .executeTakeFirstOrThrow()
    expect(flagged.password_change_required_at).not.toBeNull()
  })
})
