// Pre-registration hijack (decision 0041): a stranger signs up with the victim's address first, with a
// password of their own. Nothing the victim does with their mailbox may turn that password into a
// working login, and whatever the stranger started ends when the mailbox owner takes the address.
import { describe, expect, it } from 'vitest'
import { runHousekeeping } from '../housekeeping.js'
import { createApiToken, login, mailsTo, register, sessionCookieFrom, tokenFromMail, verifyEmail } from '../testing/factories.js'
import { useTestApp } from '../testing/test-app.js'
import { referenceTotp } from '../testing/totp-reference.js'

const ATTACKER_PASSWORD = 'the stranger chose this passphrase first'
const VICTIM_PASSWORD = 'the mailbox owner picks this passphrase'
const LIMITS = { UNAUTHENTICATED_RATE_LIMIT_MAX: '10000' }

const confirmReset = (t: ReturnType<typeof useTestApp>, token: string, newPassword: string) =>
  t.app.inject({ method: 'POST', url: '/v1/auth/password-reset/confirm', payload: { token, newPassword } })

describe('pre-registration hijack (REQUIRE_VERIFIED_EMAIL=true)', () => {
  const t = useTestApp({ env: { ...LIMITS, LOGIN_MAX_FAILURES_PER_ACCOUNT: '3' } })

  it('refuses the verification link with a password that is not the account one: 401, and the token stays usable', async () => {
    await register(t, 'victim1@example.test', ATTACKER_PASSWORD)
    const token = await tokenFromMail(t, 'victim1@example.test', 'verify-email')
    const clicked = await verifyEmail(t, token, VICTIM_PASSWORD)
    expect(clicked.statusCode).toBe(401)
    expect(clicked.json()).toMatchObject({ error: 'invalid_credentials' })
    const row = await t.deps.db.selectFrom('accounts').select('email_verified_at').where('email', '=', 'victim1@example.test').executeTakeFirstOrThrow()
    expect(row.email_verified_at).toBeNull()
    // The one who chose the password can still use the same link, once.
    expect((await verifyEmail(t, token, ATTACKER_PASSWORD)).statusCode).toBe(204)
    expect((await verifyEmail(t, token, ATTACKER_PASSWORD)).json()).toMatchObject({ error: 'invalid_token' })
  })

  it('counts a wrong password at verify-email like a failed login for that account', async () => {
    await register(t, 'victim2@example.test', ATTACKER_PASSWORD)
    const token = await tokenFromMail(t, 'victim2@example.test', 'verify-email')
    for (let i = 0; i < 3; i += 1) expect((await verifyEmail(t, token, `guess number ${i} at the password`)).statusCode).toBe(401)
    const throttled = await verifyEmail(t, token, ATTACKER_PASSWORD)
    expect(throttled.statusCode).toBe(429)
    expect(throttled.headers['retry-after']).toBeDefined()
    expect((await login(t, 'victim2@example.test', ATTACKER_PASSWORD)).statusCode).toBe(429)
  })

  it('answers a second sign-up of an unverified address with a set-password link, changing nothing until it is used', async () => {
    await register(t, 'victim3@example.test', ATTACKER_PASSWORD)
    const reg = await register(t, 'victim3@example.test', VICTIM_PASSWORD)
    expect(reg.statusCode).toBe(202)
    expect(reg.json()).toEqual({ status: 'pending_verification' })
    const last = (await mailsTo(t, 'victim3@example.test')).find((m) => /Choose your/.test(m.subject))!
    expect(last.body_text).toMatch(new RegExp(`${t.deps.config.http.publicOrigin}/reset-password#token=[A-Za-z0-9_-]{43}`))
    expect(last.body_text).not.toMatch(/verify-email#token=/)
    // Nothing changed: the second password is not the password; the first one is, still unverified.
    expect((await login(t, 'victim3@example.test', VICTIM_PASSWORD)).json()).toMatchObject({ error: 'invalid_credentials' })
    expect((await login(t, 'victim3@example.test', ATTACKER_PASSWORD)).json()).toMatchObject({ error: 'email_not_verified' })

    expect((await confirmReset(t, await tokenFromMail(t, 'victim3@example.test', 'reset-password'), VICTIM_PASSWORD)).statusCode).toBe(204)
    const owner = await login(t, 'victim3@example.test', VICTIM_PASSWORD)
    expect(owner.statusCode).toBe(200)
    expect(owner.json().user).toMatchObject({ emailVerified: true })
    expect((await login(t, 'victim3@example.test', ATTACKER_PASSWORD)).json()).toMatchObject({ error: 'invalid_credentials' })
  })

  it('keeps repeated sign-ups of an unverified address within the unsolicited-mail cap', async () => {
    await register(t, 'victim4@example.test', ATTACKER_PASSWORD)
    for (let i = 0; i < 6; i += 1) expect((await register(t, 'victim4@example.test', VICTIM_PASSWORD)).statusCode).toBe(202)
    expect(await mailsTo(t, 'victim4@example.test')).toHaveLength(1 + 3)
  })

  it('mails a fresh link on an unverified login, and that link still needs the password', async () => {
    await register(t, 'victim5@example.test', ATTACKER_PASSWORD)
    expect((await login(t, 'victim5@example.test', ATTACKER_PASSWORD)).json()).toMatchObject({ error: 'email_not_verified' })
    const fresh = await tokenFromMail(t, 'victim5@example.test', 'verify-email')
    expect((await verifyEmail(t, fresh, VICTIM_PASSWORD)).statusCode).toBe(401)
    expect((await verifyEmail(t, fresh)).statusCode).toBe(401) // the default test password is not it either
  })
})

describe('pre-registration hijack (REQUIRE_VERIFIED_EMAIL=false)', () => {
  const t = useTestApp({ env: { ...LIMITS, REQUIRE_VERIFIED_EMAIL: 'false' } })

  it('ends the first registrant sessions, API tokens, pending logins and second factor when the mailbox owner takes the address', async () => {
    await register(t, 'victim6@example.test', ATTACKER_PASSWORD)
    const first = await login(t, 'victim6@example.test', ATTACKER_PASSWORD)
    expect(first.statusCode).toBe(200) // unverified accounts may sign in under this setting
    const cookie = sessionCookieFrom(first)
    const apiToken = await createApiToken(t, cookie, ['account:read'])
    const enrol = await t.app.inject({ method: 'POST', url: '/v1/me/mfa/totp', headers: { cookie }, payload: { password: ATTACKER_PASSWORD } })
    const code = await referenceTotp(enrol.json().secret as string, t.clock.now())
    expect((await t.app.inject({ method: 'POST', url: '/v1/me/mfa/totp/confirm', headers: { cookie }, payload: { code } })).statusCode).toBe(200)
    const pending = sessionCookieFrom(await login(t, 'victim6@example.test', ATTACKER_PASSWORD), '__Host-mfa-pending')

    // The mailbox owner signs up, gets a set-password link and uses it.
    expect((await register(t, 'victim6@example.test', VICTIM_PASSWORD)).statusCode).toBe(202)
    expect((await confirmReset(t, await tokenFromMail(t, 'victim6@example.test', 'reset-password'), VICTIM_PASSWORD)).statusCode).toBe(204)

    expect((await t.app.inject({ method: 'GET', url: '/v1/me', headers: { cookie } })).statusCode).toBe(401)
    expect((await t.app.inject({ method: 'GET', url: '/v1/me', headers: { authorization: `Bearer ${apiToken}` } })).statusCode).toBe(401)
    t.clock.advance(30)
    const later = await referenceTotp(enrol.json().secret as string, t.clock.now())
    expect((await t.app.inject({ method: 'POST', url: '/v1/auth/login/mfa', headers: { cookie: pending }, payload: { code: later } })).statusCode).toBe(401)
    // The stranger's second factor went too: the owner signs in with the password alone.
    const owner = await login(t, 'victim6@example.test', VICTIM_PASSWORD)
    expect(owner.statusCode).toBe(200)
    expect(owner.json().user).toMatchObject({ emailVerified: true, mfaEnabled: false })
  })
})

describe('unverified accounts expire', () => {
  const t = useTestApp({ env: LIMITS })

  it('deletes accounts still unverified after UNVERIFIED_ACCOUNT_TTL_DAYS (7 by default), and no verified one', async () => {
    expect(t.deps.config.auth.unverifiedAccountTtlDays).toBe(7)
    await register(t, 'stale@example.test', ATTACKER_PASSWORD)
    await register(t, 'kept@example.test')
    expect((await verifyEmail(t, await tokenFromMail(t, 'kept@example.test', 'verify-email'))).statusCode).toBe(204)
    const exists = async (email: string) => (await t.deps.db.selectFrom('accounts').select('id').where('email', '=', email).executeTakeFirst()) !== undefined

    t.clock.advance(7 * 86_400 - 60)
    await runHousekeeping(t.deps)
    expect([await exists('stale@example.test'), await exists('kept@example.test')]).toEqual([true, true])

    t.clock.advance(120)
    await runHousekeeping(t.deps)
    expect([await exists('stale@example.test'), await exists('kept@example.test')]).toEqual([false, true])
    // The address is free again: the mailbox owner can sign up with a password of their own.
    await register(t, 'stale@example.test', VICTIM_PASSWORD)
    expect((await verifyEmail(t, await tokenFromMail(t, 'stale@example.test', 'verify-email'), VICTIM_PASSWORD)).statusCode).toBe(204)
    expect((await login(t, 'stale@example.test', VICTIM_PASSWORD)).statusCode).toBe(200)
  })

  it('reads UNVERIFIED_ACCOUNT_TTL_DAYS from the environment', async () => {
    const { testConfig } = await import('../testing/test-config.js')
    expect((await testConfig({ UNVERIFIED_ACCOUNT_TTL_DAYS: '2' })).auth.unverifiedAccountTtlDays).toBe(2)
    await expect(testConfig({ UNVERIFIED_ACCOUNT_TTL_DAYS: '0' })).rejects.toThrow(/UNVERIFIED_ACCOUNT_TTL_DAYS/)
  })
})
