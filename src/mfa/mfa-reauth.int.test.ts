// Security property: changing how an account signs in needs full re-authentication (OWASP ASVS 5.0
// V7.5.1): enrolling TOTP needs the password; new recovery codes and turning TOTP off need the
// password and a current code. A stolen session alone changes no factor. Each change mails the owner.
import { beforeEach, describe, expect, it } from 'vitest'
import { accountIdOf, mailsTo, signedIn, STRONG_PASSWORD } from '../testing/factories.js'
import { accountWithTotp, totpNow, wrongTotp } from '../testing/mfa.js'
import { asSession } from '../testing/requests.js'
import { useTestApp } from '../testing/test-app.js'
import { NO_REQUEST_LIMITS } from '../testing/test-config.js'

const START = new Date(Math.floor(Date.UTC(2026, 3, 7, 8, 0, 0) / 30_000) * 30_000 + 5_000)
const WRONG_PASSWORD = 'not the password at all, sorry'

describe('re-authentication for factor changes (/v1/me/mfa)', () => {
  const t = useTestApp({ env: NO_REQUEST_LIMITS })
  let n = 0
  beforeEach(() => {
    t.clock.set(START)
    n += 1
  })

  const { post, del } = asSession(t)
  const mfaOn = async (session: string) => (await t.app.inject({ method: 'GET', url: '/v1/me', headers: { cookie: session } })).json().mfaEnabled as boolean

  it('enrolling TOTP needs the password: 401 invalid_credentials for a wrong one, and nothing is stored', async () => {
    const email = `enrol${n}@example.test`
    const session = await signedIn(t, email)
    const none = await post('/v1/me/mfa/totp', session)
    expect(none.statusCode).toBe(400)
    const wrong = await post('/v1/me/mfa/totp', session, { password: WRONG_PASSWORD })
    expect(wrong.statusCode).toBe(401)
    expect(wrong.json()).toMatchObject({ error: 'invalid_credentials' })
    expect(wrong.body).not.toContain('secret')
    const accountId = await accountIdOf(t, email)
    expect(await t.deps.db.selectFrom('totp_factors').select('account_id').where('account_id', '=', accountId).execute()).toHaveLength(0)
    const ok = await post('/v1/me/mfa/totp', session, { password: STRONG_PASSWORD })
    expect(ok.statusCode).toBe(200)
    expect(ok.json().secret).toMatch(/^[A-Z2-7]{32}$/)
    expect((await mailsTo(t, email)).map((m) => m.subject)).toContainEqual(expect.stringMatching(/set-up of two-factor sign-in was started/i))
  })

  it('new recovery codes need the password and a current code: missing, wrong or replayed codes are refused', async () => {
    const { email, session, secret, recoveryCodes: codes } = await accountWithTotp(t)
    const missing = await post('/v1/me/mfa/recovery-codes', session, { password: STRONG_PASSWORD })
    expect(missing.statusCode).toBe(401)
    expect(missing.json().error).toBe('mfa_code_required')
    const wrongCodeRes = await post('/v1/me/mfa/recovery-codes', session, { password: STRONG_PASSWORD, code: await wrongTotp(t, secret) })
    expect(wrongCodeRes.statusCode).toBe(401)
    expect(wrongCodeRes.json().error).toBe('invalid_credentials')
    const code = await totpNow(t, secret)
    const wrongPassword = await post('/v1/me/mfa/recovery-codes', session, { password: WRONG_PASSWORD, code })
    expect(wrongPassword.statusCode).toBe(401)
    expect(wrongPassword.json()).toEqual(wrongCodeRes.json())

    const ok = await post('/v1/me/mfa/recovery-codes', session, { password: STRONG_PASSWORD, code })
    expect(ok.statusCode).toBe(200)
    const fresh: string[] = ok.json().recoveryCodes
    expect(fresh).toHaveLength(10)
    expect(fresh).not.toContain(codes[0])
    // The same code again (replay) is refused, and the set made by the success stays.
    const replay = await post('/v1/me/mfa/recovery-codes', session, { password: STRONG_PASSWORD, code })
    expect(replay.statusCode).toBe(401)
    expect(replay.json().error).toBe('invalid_credentials')
    const hashes = await t.deps.db.selectFrom('recovery_codes').select('id').where('used_at', 'is', null).execute()
    expect(hashes.length).toBeGreaterThanOrEqual(10)
    expect((await mailsTo(t, email)).map((m) => m.subject)).toContainEqual(expect.stringMatching(/New recovery codes/))
  })

  it('turning TOTP off needs the password and a current code; a stolen session alone cannot', async () => {
    const { email, session, secret } = await accountWithTotp(t)
    const passwordOnly = await del('/v1/me/mfa/totp', session, { password: STRONG_PASSWORD })
    expect(passwordOnly.statusCode).toBe(401)
    expect(passwordOnly.json().error).toBe('mfa_code_required')
    const wrong = await del('/v1/me/mfa/totp', session, { password: STRONG_PASSWORD, code: await wrongTotp(t, secret) })
    expect(wrong.statusCode).toBe(401)
    expect(wrong.json().error).toBe('invalid_credentials')
    const badPassword = await del('/v1/me/mfa/totp', session, { password: WRONG_PASSWORD, code: await totpNow(t, secret) })
    expect(badPassword.statusCode).toBe(401)
    expect(await mfaOn(session)).toBe(true)

    t.clock.advance(30)
    const ok = await del('/v1/me/mfa/totp', session, { password: STRONG_PASSWORD, code: await totpNow(t, secret) })
    expect(ok.statusCode).toBe(204)
    expect(await mfaOn(session)).toBe(false)
    expect((await mailsTo(t, email)).map((m) => m.subject)).toContainEqual(expect.stringMatching(/turned off/))
  })

  it('a recovery code re-authenticates once, and only once', async () => {
    const { session, recoveryCodes: codes } = await accountWithTotp(t)
    const first = await post('/v1/me/mfa/recovery-codes', session, { password: STRONG_PASSWORD, code: codes[0]! })
    expect(first.statusCode).toBe(200)
    // The regeneration replaced the set; an older code of the first set is dead too.
    const again = await post('/v1/me/mfa/recovery-codes', session, { password: STRONG_PASSWORD, code: codes[1]! })
    expect(again.statusCode).toBe(401)
    const fresh: string[] = first.json().recoveryCodes
    expect((await del('/v1/me/mfa/totp', session, { password: STRONG_PASSWORD, code: fresh[0]! })).statusCode).toBe(204)
  })

  it('a recovery code spent on a refused change (wrong password first) is not used up', async () => {
    const { session, recoveryCodes: codes } = await accountWithTotp(t)
    expect((await post('/v1/me/mfa/recovery-codes', session, { password: WRONG_PASSWORD, code: codes[2]! })).statusCode).toBe(401)
    expect((await post('/v1/me/mfa/recovery-codes', session, { password: STRONG_PASSWORD, code: codes[2]! })).statusCode).toBe(200)
  })

  it('throttles re-authentication: 429 with Retry-After past the per-account limit, even for the right password and code', async () => {
    const { session, secret } = await accountWithTotp(t)
    const limit = t.deps.config.auth.loginMaxFailuresPerAccount
    for (let i = 0; i < limit; i += 1) {
      expect((await post('/v1/me/mfa/recovery-codes', session, { password: STRONG_PASSWORD, code: await wrongTotp(t, secret) })).statusCode).toBe(401)
    }
    const blocked = await del('/v1/me/mfa/totp', session, { password: STRONG_PASSWORD, code: await totpNow(t, secret) })
    expect(blocked.statusCode).toBe(429)
    expect(blocked.json().error).toBe('rate_limited')
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0)
    expect(await mfaOn(session)).toBe(true)
    const events = await t.deps.db.selectFrom('security_events').select('type').where('type', '=', 'reauth.failed').execute()
    expect(events.length).toBeGreaterThanOrEqual(limit)
  })

  it('refuses unknown and malformed fields on the re-authentication bodies', async () => {
    const { session } = await accountWithTotp(t)
    for (const payload of [
      { password: STRONG_PASSWORD, code: '123456', extra: 1 },
      { code: '123456' },
      { password: STRONG_PASSWORD, code: 'x'.repeat(65) },
      { password: 1 },
    ]) {
      const res = await del('/v1/me/mfa/totp', session, payload)
      expect(res.statusCode).toBe(400)
      expect(res.json().error).toBe('validation_failed')
    }
    expect((await post('/v1/me/mfa/totp', session, { password: STRONG_PASSWORD, isAdmin: true })).statusCode).toBe(400)
  })
})
