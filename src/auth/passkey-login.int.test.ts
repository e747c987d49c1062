// Passkey sign-in end to end (src/auth/passkey-login.service.ts), with a software authenticator
// that makes real ES256 assertion objects: what is accepted, and every forgery or replay refused.
// The registration ceremony: src/passkeys/passkey-ceremony.int.test.ts.
import { describe, expect, it } from 'vitest'
import { login, mailsTo } from '../testing/factories.js'
import { accountWithPasskey, authenticatorFor, sendAssertion, signInOptions, signInWithPasskey } from '../testing/passkeys.js'
import { useTestApp } from '../testing/test-app.js'
import { NO_REQUEST_LIMITS } from '../testing/test-config.js'

describe('passkey sign-in', () => {
  const t = useTestApp({ env: NO_REQUEST_LIMITS })

  const events = (type: string) => t.deps.db.selectFrom('security_events').select(['account_id', 'details']).where('type', '=', type).execute()

  it('answers the sign-in options identically whatever body is sent', async () => {
    const a = await t.app.inject({ method: 'POST', url: '/v1/auth/passkey/options', payload: { email: 'someone@example.test' } })
    const b = await t.app.inject({ method: 'POST', url: '/v1/auth/passkey/options' })
    expect(a.statusCode).toBe(200)
    expect(Object.keys(a.json()).sort()).toEqual(Object.keys(b.json()).sort())
    expect(a.json().challenge).not.toBe(b.json().challenge)
    expect(a.body).not.toContain('someone')
  })

  it('refuses a replayed assertion', async () => {
    const { authenticator } = await accountWithPasskey(t)
    const { options, pending } = await signInOptions(t)
    const assertion = authenticator.assert(options)
    expect((await sendAssertion(t, pending, assertion)).statusCode).toBe(200)
    const replay = await sendAssertion(t, pending, assertion)
    expect(replay.statusCode).toBe(401)
    expect(replay.json()).toMatchObject({ error: 'invalid_credentials' })
    // Even with a fresh pending cookie the old signature is over a spent challenge.
    const fresh = await signInOptions(t)
    expect((await sendAssertion(t, fresh.pending, assertion)).statusCode).toBe(401)
  })

  it('refuses an assertion made for another origin', async () => {
    const { authenticator } = await accountWithPasskey(t)
    const res = await signInWithPasskey(t, authenticator, { origin: 'https://evil.example' })
    expect(res.statusCode).toBe(401)
    expect(res.json()).toMatchObject({ error: 'invalid_credentials' })
    expect(res.cookies.find((c) => c.name === '__Host-session')).toBeUndefined()
    // A look-alike: the same host on another scheme or port is another origin.
    expect((await signInWithPasskey(t, authenticator, { origin: 'http://localhost:3001' })).statusCode).toBe(401)
  })

  it('refuses an assertion made for another RP ID', async () => {
    const { authenticator } = await accountWithPasskey(t)
    const res = await signInWithPasskey(t, authenticator, { rpId: 'evil.example' })
    expect(res.statusCode).toBe(401)
    expect(res.json()).toMatchObject({ error: 'invalid_credentials' })
  })

  it('refuses a sign-in challenge used twice, even with a new signature', async () => {
    const { authenticator } = await accountWithPasskey(t)
    const { options, pending } = await signInOptions(t)
    expect((await sendAssertion(t, pending, authenticator.assert(options))).statusCode).toBe(200)
    const again = await sendAssertion(t, pending, authenticator.assert(options))
    expect(again.statusCode).toBe(401)
  })

  it('spends a sign-in challenge on a failed attempt too', async () => {
    const { authenticator } = await accountWithPasskey(t)
    const { options, pending } = await signInOptions(t)
    expect((await sendAssertion(t, pending, authenticator.assert(options, { origin: 'https://evil.example' }))).statusCode).toBe(401)
    expect((await sendAssertion(t, pending, authenticator.assert(options))).statusCode).toBe(401)
  })

  it('refuses a sign-in whose counter went backwards, mails the owner, and keeps the passkey', async () => {
    const { email, session, authenticator, passkey } = await accountWithPasskey(t, { startCount: 5 })
    expect((await signInWithPasskey(t, authenticator)).statusCode).toBe(200) // counter 6
    const cloned = await signInWithPasskey(t, authenticator, { signCount: 6 })
    expect(cloned.statusCode).toBe(401)
    expect(cloned.json()).toMatchObject({ error: 'invalid_credentials' })
    const lower = await signInWithPasskey(t, authenticator, { signCount: 2 })
    expect(lower.statusCode).toBe(401)
    expect((await mailsTo(t, email)).filter((m) => m.subject.includes('A copy of one of your passkeys may exist'))).toHaveLength(2)
    const regressed = await events('passkey.counter_regressed')
    expect(regressed.at(-1)?.details).toMatchObject({ passkeyId: passkey.id, stored: 6, presented: 2 })
    const list = await t.app.inject({ method: 'GET', url: '/v1/me/passkeys', headers: { cookie: session } })
    expect(list.json().passkeys).toHaveLength(1)
    // The real authenticator, moving forward, still works.
    expect((await signInWithPasskey(t, authenticator, { signCount: 10 })).statusCode).toBe(200)
  })

  it('lets only one of two assertions with the same counter through when they race (a clone racing the original)', async () => {
    const { authenticator } = await accountWithPasskey(t, { startCount: 1 })
    const a = await signInOptions(t)
    const b = await signInOptions(t)
    const first = authenticator.assert(a.options, { signCount: 7 })
    const second = authenticator.assert(b.options, { signCount: 7 })
    const results = await Promise.all([sendAssertion(t, a.pending, first), sendAssertion(t, b.pending, second)])
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 401])
  })

  it('accepts a passkey whose counter stays at zero (synced passkeys do that)', async () => {
    const { authenticator } = await accountWithPasskey(t)
    expect((await signInWithPasskey(t, authenticator, { signCount: 0 })).statusCode).toBe(200)
    expect((await signInWithPasskey(t, authenticator, { signCount: 0 })).statusCode).toBe(200)
  })

  it('refuses an unknown credential and a malformed body', async () => {
    const stranger = authenticatorFor(t)
    stranger.register({ challenge: 'AAAA', rp: { id: 'localhost' }, user: { id: 'AAAA' } })
    expect((await signInWithPasskey(t, stranger)).statusCode).toBe(401)
    const { pending } = await signInOptions(t)
    const malformed = await t.app.inject({ method: 'POST', url: '/v1/auth/passkey', headers: { cookie: pending }, payload: { response: { id: 'x' } } })
    expect(malformed.statusCode).toBe(400)
    expect(malformed.json()).toMatchObject({ error: 'validation_failed' })
  })

  it('counts failed assertions for a known credential as failed logins of its account', async () => {
    const { email, authenticator } = await accountWithPasskey(t)
    const limit = t.deps.config.auth.loginMaxFailuresPerAccount
    for (let i = 0; i < limit; i++) expect((await signInWithPasskey(t, authenticator, { origin: 'https://evil.example' })).statusCode).toBe(401)
    const failed = await events('login.failed')
    expect(failed.filter((e) => (e.details as { factor?: string }).factor === 'passkey').length).toBeGreaterThanOrEqual(limit)
    // Past the limit even a valid assertion, and the right password, get 429.
    const valid = await signInWithPasskey(t, authenticator)
    expect(valid.statusCode).toBe(429)
    expect(valid.headers['retry-after']).toBeDefined()
    expect((await login(t, email)).statusCode).toBe(429)
  })

  it('passes the account checks of the password login: flagged password, unverified email', async () => {
    const { email, authenticator, passkey } = await accountWithPasskey(t)
    const row = await t.deps.db.selectFrom('passkeys').select('account_id').where('id', '=', passkey.id).executeTakeFirstOrThrow()
    await t.deps.db.updateTable('accounts').set({ email_verified_at: null }).where('id', '=', row.account_id).execute()
    const unverified = await signInWithPasskey(t, authenticator)
    expect(unverified.statusCode).toBe(403)
    expect(unverified.json()).toMatchObject({ error: 'email_not_verified' })
    expect(unverified.cookies.find((c) => c.name === '__Host-session')).toBeUndefined()

    await t.deps.db
      .updateTable('accounts')
      .set({ email_verified_at: new Date(), password_change_required_at: new Date() })
      .where('id', '=', row.account_id)
      .execute()
    const flagged = await signInWithPasskey(t, authenticator)
    expect(flagged.statusCode).toBe(403)
    expect(flagged.json()).toMatchObject({ error: 'password_change_required' })
    expect((await mailsTo(t, email)).some((m) => (m.body_text ?? '').includes('/reset-password#token='))).toBe(true)
  })
})
