// Security property: a consecutive-failure cap per account and per factor that waiting does not
// clear (NIST SP 800-63B-4 §3.2.2: at most 100), on top of the windows. A patient attacker who stays
// under every window still gets at most N guesses; past the cap even the right credential gets 429,
// and a password reset (proof of the mailbox) is the way out. Unknown addresses are capped alike.
import { beforeEach, describe, expect, it } from 'vitest'
import { loadConfig } from '../config/config.js'
import { accountIdOf, login, mailsTo, sessionCookieFrom, signUpAndLogin, STRONG_PASSWORD, tokenFromMail } from '../testing/factories.js'
import { totpNow, wrongTotp } from '../testing/mfa.js'
import { asSession } from '../testing/requests.js'
import { useTestApp } from '../testing/test-app.js'
import { TEST_ENV, NO_REQUEST_LIMITS } from '../testing/test-config.js'

const CAP = 5
const WINDOW_LIMIT = 3
const WINDOW_SECONDS = 60
const WRONG = 'not the password, a wrong guess'
const NEW_PASSWORD = 'a brand new passphrase for after the reset'
const START = new Date(Math.floor(Date.UTC(2026, 5, 1, 6, 0, 0) / 30_000) * 30_000 + 5_000)

describe('consecutive-failure cap (LOGIN_MAX_CONSECUTIVE_FAILURES)', () => {
  const t = useTestApp({
    env: {
      LOGIN_MAX_CONSECUTIVE_FAILURES: String(CAP),
      LOGIN_MAX_FAILURES_PER_ACCOUNT: String(WINDOW_LIMIT),
      LOGIN_FAILURE_WINDOW_SECONDS: String(WINDOW_SECONDS),
      UNAUTHENTICATED_RATE_LIMIT_MAX: '100000',
      RATE_LIMIT_MAX: '100000',
    },
  })
  let n = 0
  beforeEach(() => {
    t.clock.set(START)
    n += 1
  })

  const { post } = asSession(t)
  /** Wrong guesses that stay under the window limit: a new window before each would-be 429. */
  async function patientlyFail(times: number, attempt: (i: number) => Promise<number>): Promise<void> {
    for (let i = 0; i < times; i += 1) {
      if (i > 0 && i % WINDOW_LIMIT === 0) t.clock.advance(WINDOW_SECONDS + 1)
      expect(await attempt(i)).toBe(401)
    }
    t.clock.advance(WINDOW_SECONDS + 1)
  }
  async function reset(email: string): Promise<void> {
    expect((await t.app.inject({ method: 'POST', url: '/v1/auth/password-reset', payload: { email } })).statusCode).toBe(202)
    const token = await tokenFromMail(t, email, 'reset-password')
    const done = await t.app.inject({ method: 'POST', url: '/v1/auth/password-reset/confirm', payload: { token, newPassword: NEW_PASSWORD } })
    expect(done.statusCode).toBe(204)
  }
  async function withTotp(email: string): Promise<{ session: string; secret: string }> {
    const before = await signUpAndLogin(t, email)
    const secret = (await post('/v1/me/mfa/totp', before, { password: STRONG_PASSWORD })).json().secret as string
    const confirmed = await post('/v1/me/mfa/totp/confirm', before, { code: await totpNow(t, secret) })
    expect(confirmed.statusCode).toBe(200)
    t.clock.advance(30)
    return { session: sessionCookieFrom(confirmed), secret }
  }

  it('refuses even the right password with 429 after N wrong ones spread over many windows, until a password reset', async () => {
    const email = `cap${n}@example.test`
    await signUpAndLogin(t, email)
    await patientlyFail(CAP, async () => (await login(t, email, WRONG)).statusCode)
    const blocked = await login(t, email)
    expect(blocked.statusCode).toBe(429)
    expect(blocked.json().error).toBe('rate_limited')
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0)
    // Waiting does not clear it: a day later, still refused.
    t.clock.advance(86_400)
    expect((await login(t, email)).statusCode).toBe(429)
    expect((await mailsTo(t, email)).map((m) => m.subject)).toContainEqual(expect.stringMatching(/Sign-in blocked after repeated failures/))
    const accountId = await accountIdOf(t, email)
    const events = await t.deps.db
      .selectFrom('security_events')
      .select('type')
      .where('type', '=', 'login.failure_cap_reached')
      .where('account_id', '=', accountId)
      .execute()
    expect(events).toHaveLength(1)

    await reset(email)
    const ok = await login(t, email, NEW_PASSWORD)
    expect(ok.statusCode).toBe(200)
    expect(ok.json().user).toMatchObject({ email })
  })

  it('answers an unknown email past the cap exactly like a known one', async () => {
    const known = `known${n}@example.test`
    const unknown = `nobody${n}@example.test`
    await signUpAndLogin(t, known)
    await patientlyFail(CAP, async () => (await login(t, known, WRONG)).statusCode)
    await patientlyFail(CAP, async () => (await login(t, unknown, WRONG)).statusCode)
    const a = await login(t, known, WRONG)
    const b = await login(t, unknown, WRONG)
    expect(a.statusCode).toBe(429)
    expect(b.statusCode).toBe(429)
    expect(b.json()).toEqual(a.json())
    expect(b.headers['retry-after']).toBe(a.headers['retry-after'])
  })

  it('only consecutive failures count: a success clears the streak', async () => {
    const email = `clears${n}@example.test`
    await signUpAndLogin(t, email)
    for (let round = 0; round < 3; round += 1) {
      await patientlyFail(CAP - 1, async () => (await login(t, email, WRONG)).statusCode)
      expect((await login(t, email)).statusCode).toBe(200)
    }
  })

  it('caps wrong second-factor codes across windows; the right code then gets 429, and a reset is the way out', async () => {
    const email = `codecap${n}@example.test`
    const { secret } = await withTotp(email)
    const pending = async () => sessionCookieFrom(await login(t, email), '__Host-mfa-pending')
    let cookie = ''
    await patientlyFail(CAP, async (i) => {
      if (i % WINDOW_LIMIT === 0) cookie = await pending()
      return (await post('/v1/auth/login/mfa', cookie, { code: await wrongTotp(t, secret) })).statusCode
    })
    const blocked = await post('/v1/auth/login/mfa', await pending(), { code: await totpNow(t, secret) })
    expect(blocked.statusCode).toBe(429)
    expect(blocked.json().error).toBe('rate_limited')
    t.clock.advance(86_400)
    expect((await post('/v1/auth/login/mfa', await pending(), { code: await totpNow(t, secret) })).statusCode).toBe(429)

    await reset(email)
    const first = await login(t, email, NEW_PASSWORD)
    expect(first.json()).toEqual({ mfaRequired: true })
    expect((await post('/v1/auth/login/mfa', sessionCookieFrom(first, '__Host-mfa-pending'), { code: await totpNow(t, secret) })).statusCode).toBe(200)
  })

  it('mails the owner at the third wrong code in a row, once per window', async () => {
    const email = `notice${n}@example.test`
    const { secret } = await withTotp(email)
    const notices = async () => (await mailsTo(t, email)).filter((m) => /Repeated wrong two-factor codes/.test(m.subject))
    const cookie = sessionCookieFrom(await login(t, email), '__Host-mfa-pending')
    for (let i = 0; i < 2; i += 1) expect((await post('/v1/auth/login/mfa', cookie, { code: await wrongTotp(t, secret) })).statusCode).toBe(401)
    expect(await notices()).toHaveLength(0)
    expect((await post('/v1/auth/login/mfa', cookie, { code: await wrongTotp(t, secret) })).statusCode).toBe(401)
    expect(await notices()).toHaveLength(1)
    t.clock.advance(WINDOW_SECONDS + 1)
    const again = sessionCookieFrom(await login(t, email), '__Host-mfa-pending')
    expect((await post('/v1/auth/login/mfa', again, { code: await wrongTotp(t, secret) })).statusCode).toBe(401)
    // The fourth in a row falls in a new window: one more notice, not one per code.
    expect(await notices()).toHaveLength(2)
    const body = (await notices())[0]!.body_text ?? ''
    expect(body).toContain('3 wrong two-factor codes')
    expect(body).not.toMatch(/\b[0-9]{6}\b/)
  })

  it('counts wrong passwords on re-authentication in the same streak as logins', async () => {
    const email = `reauth${n}@example.test`
    const session = await signUpAndLogin(t, email)
    await patientlyFail(CAP, async () => (await post('/v1/me/mfa/totp', session, { password: WRONG })).statusCode)
    expect((await post('/v1/me/mfa/totp', session, { password: STRONG_PASSWORD })).statusCode).toBe(429)
    expect((await login(t, email)).statusCode).toBe(429)
  })
})

describe('the default cap of 100 (NIST SP 800-63B-4 §3.2.2)', () => {
  const t = useTestApp({ env: NO_REQUEST_LIMITS })

  it('answers 429 to the 101st attempt, the right password included, after 100 wrong ones from 100 addresses', async () => {
    t.clock.set(START)
    const email = 'hundred@example.test'
    await signUpAndLogin(t, email)
    const perWindow = t.deps.config.auth.loginMaxFailuresPerAccount
    // One window's attempts at once (they stay within the per-window limit): as many hashes in
    // parallel as the hasher allows, and the counters must hold under the race.
    for (let start = 0; start < 100; start += perWindow) {
      if (start > 0) t.clock.advance(t.deps.config.auth.loginFailureWindowSeconds + 1)
      const addresses = Array.from({ length: Math.min(perWindow, 100 - start) }, (_, k) => `198.51.100.${start + k}`)
      const answers = await Promise.all(
        addresses.map((remoteAddress) => t.app.inject({ method: 'POST', url: '/v1/auth/login', remoteAddress, payload: { email, password: WRONG } })),
      )
      expect(answers.map((res) => res.statusCode)).toEqual(addresses.map(() => 401))
    }
    t.clock.advance(t.deps.config.auth.loginFailureWindowSeconds + 1)
    const blocked = await t.app.inject({ method: 'POST', url: '/v1/auth/login', remoteAddress: '203.0.113.200', payload: { email, password: STRONG_PASSWORD } })
    expect(blocked.statusCode).toBe(429)
  })
})

describe('LOGIN_MAX_CONSECUTIVE_FAILURES', () => {
  it('defaults to 100 and is bounded 1..100 (NIST SP 800-63B-4 §3.2.2)', async () => {
    expect((await loadConfig({ ...TEST_ENV })).auth.maxConsecutiveFailures).toBe(100)
    expect((await loadConfig({ ...TEST_ENV, LOGIN_MAX_CONSECUTIVE_FAILURES: '1' })).auth.maxConsecutiveFailures).toBe(1)
    await expect(loadConfig({ ...TEST_ENV, LOGIN_MAX_CONSECUTIVE_FAILURES: '101' })).rejects.toThrow(/LOGIN_MAX_CONSECUTIVE_FAILURES/)
    await expect(loadConfig({ ...TEST_ENV, LOGIN_MAX_CONSECUTIVE_FAILURES: '0' })).rejects.toThrow(/LOGIN_MAX_CONSECUTIVE_FAILURES/)
  })
})
