// Email change (decision 0044): full re-authentication, a single-use token bound to (account, new address)
// mailed to the new address, a notice with a way to stop it to the old one, nothing changes until
// confirmed, uniqueness re-checked at confirm, enumeration-safe, other sessions end, audit event.
import { describe, expect, it } from 'vitest'
import {
  accountIdOf,
  countVerifies,
  createApiToken,
  enableTotp,
  login,
  mailsTo,
  register,
  sessionCookieFrom,
  sessionFor,
  signedIn,
  signUpAndLogin,
  STRONG_PASSWORD,
  tokenFromMail,
  verifyEmail,
} from '../testing/factories.js'
import { useTestApp } from '../testing/test-app.js'
import { PasswordHasher } from '../crypto/password.js'
import { referenceTotp } from '../testing/totp-reference.js'

describe('email change', () => {
  const t = useTestApp({ env: { UNAUTHENTICATED_RATE_LIMIT_MAX: '10000' } })
  const me = (cookie: string) => t.app.inject({ method: 'GET', url: '/v1/me', headers: { cookie } })
  const requestChange = (headers: Record<string, string>, body: Record<string, string>) =>
    t.app.inject({ method: 'POST', url: '/v1/me/email', headers, payload: body })
  const confirm = (cookie: string, token: string) => t.app.inject({ method: 'POST', url: '/v1/me/email/confirm', headers: { cookie }, payload: { token } })

  it('changes the address only once the link mailed to the new address is confirmed, ending other sessions', async () => {
    const cookie = await signedIn(t, 'old1@example.test')
    const other = sessionCookieFrom(await login(t, 'old1@example.test'))
    const res = await requestChange({ cookie }, { newEmail: 'new1@example.test', password: STRONG_PASSWORD })
    expect(res.statusCode).toBe(202)
    expect((await me(cookie)).json()).toMatchObject({ email: 'old1@example.test' })

    const link = (await mailsTo(t, 'new1@example.test')).at(-1)!
    expect(link.body_text).toMatch(new RegExp(`${t.deps.config.http.publicOrigin}/confirm-email#token=[A-Za-z0-9_-]{43}`))
    const notice = (await mailsTo(t, 'old1@example.test')).find((m) => /change of your sign-in address/.test(m.subject))!
    expect(notice.body_text).toMatch(/new1@example\.test/)
    expect(notice.body_text).toMatch(/reset-password/)

    const token = await tokenFromMail(t, 'new1@example.test', 'confirm-email')
    expect((await confirm(cookie, token)).statusCode).toBe(204)
    expect((await me(cookie)).json()).toMatchObject({ email: 'new1@example.test', emailVerified: true })
    expect((await me(other)).statusCode).toBe(401)
    expect((await confirm(cookie, token)).json()).toMatchObject({ error: 'invalid_token' }) // single use
    expect((await login(t, 'new1@example.test')).statusCode).toBe(200)
    expect((await login(t, 'old1@example.test')).statusCode).toBe(401)
    expect((await mailsTo(t, 'old1@example.test')).some((m) => /Your sign-in address was changed/.test(m.subject))).toBe(true)
    const events = await t.app.inject({ method: 'GET', url: '/v1/me/security-events', headers: { cookie } })
    expect(events.json().events.map((e: { type: string }) => e.type)).toContain('email.changed')
  })

  it('needs the password, and a code when TOTP is on; a refusal sends nothing', async () => {
    const cookie = await signedIn(t, 'old2@example.test')
    const wrong = await requestChange({ cookie }, { newEmail: 'new2@example.test', password: 'not the password at all' })
    expect(wrong.statusCode).toBe(401)
    expect(wrong.json()).toMatchObject({ error: 'invalid_credentials' })
    const { cookie: rotated, secret } = await enableTotp(t, cookie)
    const noCode = await requestChange({ cookie: rotated }, { newEmail: 'new2@example.test', password: STRONG_PASSWORD })
    expect(noCode.json()).toMatchObject({ error: 'mfa_code_required' })
    expect(await mailsTo(t, 'new2@example.test')).toEqual([])
    t.clock.advance(30)
    const ok = await requestChange(
      { cookie: rotated },
      { newEmail: 'new2@example.test', password: STRONG_PASSWORD, code: await referenceTotp(secret, t.clock.now()) },
    )
    expect(ok.statusCode).toBe(202)
    expect(await mailsTo(t, 'new2@example.test')).toHaveLength(1)
  })

  it('is a session-only action: an API token gets 403', async () => {
    const cookie = await signedIn(t, 'old3@example.test')
    const token = await createApiToken(t, cookie, ['account:read'])
    const res = await requestChange({ authorization: `Bearer ${token}` }, { newEmail: 'new3@example.test', password: STRONG_PASSWORD })
    expect(res.statusCode).toBe(403)
    expect(res.json()).toMatchObject({ error: 'session_required' })
  })

  it('answers a taken address exactly like a free one, sends no link to it, and tells its holder', async () => {
    await signedIn(t, 'holder@example.test')
    const cookie = await signedIn(t, 'old4@example.test')
    const before = (await mailsTo(t, 'holder@example.test')).length
    const taken = await requestChange({ cookie }, { newEmail: 'HOLDER@example.test', password: STRONG_PASSWORD })
    const free = await requestChange({ cookie }, { newEmail: 'free4@example.test', password: STRONG_PASSWORD })
    expect([taken.statusCode, free.statusCode]).toEqual([202, 202])
    expect(taken.body).toBe(free.body)
    const holderMails = (await mailsTo(t, 'holder@example.test')).slice(before)
    expect(holderMails).toHaveLength(1)
    expect(holderMails[0]!.body_text).not.toMatch(/confirm-email#token=/)
  })

  it('re-checks the address at confirm: 409 email_taken if someone took it meanwhile, and nothing changes', async () => {
    const cookie = await signedIn(t, 'old5@example.test')
    expect((await requestChange({ cookie }, { newEmail: 'race5@example.test', password: STRONG_PASSWORD })).statusCode).toBe(202)
    const token = await tokenFromMail(t, 'race5@example.test', 'confirm-email')
    await signUpAndLogin(t, 'race5@example.test', 'somebody else entirely took this one')
    const res = await confirm(cookie, token)
    expect(res.statusCode).toBe(409)
    expect(res.json()).toMatchObject({ error: 'email_taken' })
    expect((await me(cookie)).json()).toMatchObject({ email: 'old5@example.test' })
  })

  it('refuses the token from another account session; it stays usable for the account it was made for', async () => {
    const owner = await signedIn(t, 'old6@example.test')
    const stranger = await signedIn(t, 'stranger6@example.test')
    await requestChange({ cookie: owner }, { newEmail: 'new6@example.test', password: STRONG_PASSWORD })
    const token = await tokenFromMail(t, 'new6@example.test', 'confirm-email')
    const res = await confirm(stranger, token)
    expect(res.statusCode).toBe(400)
    expect(res.json()).toMatchObject({ error: 'invalid_token' })
    expect((await me(stranger)).json()).toMatchObject({ email: 'stranger6@example.test' })
    expect((await confirm(owner, token)).statusCode).toBe(204)
  })

  it('expires the link after one hour, and a password reset kills a pending change', async () => {
    const cookie = await signedIn(t, 'old7@example.test')
    await requestChange({ cookie }, { newEmail: 'new7@example.test', password: STRONG_PASSWORD })
    const expired = await tokenFromMail(t, 'new7@example.test', 'confirm-email')
    t.clock.advance(3601)
    const later = sessionCookieFrom(await login(t, 'old7@example.test')) // the first session went idle meanwhile
    expect((await confirm(later, expired)).json()).toMatchObject({ error: 'invalid_token' })

    const fresh = await signedIn(t, 'old8@example.test')
    await requestChange({ cookie: fresh }, { newEmail: 'new8@example.test', password: STRONG_PASSWORD })
    const pendingChange = await tokenFromMail(t, 'new8@example.test', 'confirm-email')
    await t.app.inject({ method: 'POST', url: '/v1/auth/password-reset', payload: { email: 'old8@example.test' } })
    const reset = await tokenFromMail(t, 'old8@example.test', 'reset-password')
    expect(
      (await t.app.inject({ method: 'POST', url: '/v1/auth/password-reset/confirm', payload: { token: reset, newPassword: 'owner is back in control now' } }))
        .statusCode,
    ).toBe(204)
    const again = sessionCookieFrom(await login(t, 'old8@example.test', 'owner is back in control now'))
    expect((await confirm(again, pendingChange)).statusCode).toBe(400)
  })

  it('lets exactly one of two parallel confirmations of the same token win', async () => {
    const cookie = await signedIn(t, 'old9@example.test')
    await requestChange({ cookie }, { newEmail: 'new9@example.test', password: STRONG_PASSWORD })
    const token = await tokenFromMail(t, 'new9@example.test', 'confirm-email')
    const results = await Promise.all([confirm(cookie, token), confirm(cookie, token)])
    expect(results.map((r) => r.statusCode).sort()).toEqual([204, 400])
  })

  it('ends a login by the old address that checked the password while the change was confirmed', async () => {
    // Found by a scan (9 rounds in 10): a login whose password check spanned the confirmation got a
    // session for the new address that outlived the "every other session ends". A slow stored hash
    // holds the login in its check while the confirmation lands.
    const cookie = await signedIn(t, 'old10@example.test')
    await requestChange({ cookie }, { newEmail: 'new10@example.test', password: STRONG_PASSWORD })
    const token = await tokenFromMail(t, 'new10@example.test', 'confirm-email')
    const slow = await new PasswordHasher({ memoryKiB: 65_536, iterations: 4, parallelism: 1 }, 1, 0).hash(STRONG_PASSWORD)
    await t.deps.db.updateTable('accounts').set({ password_hash: slow }).where('email', '=', 'old10@example.test').execute()
    const racing = login(t, 'old10@example.test')
    await new Promise((resolve) => setTimeout(resolve, 40))
    expect((await confirm(cookie, token)).statusCode).toBe(204)
    const raced = await racing
    expect(raced.statusCode).toBe(401)
  })

  it('takes the address from an unverified account that squatted it after the request: the link proved the mailbox', async () => {
    // Found by a scan: once A asked for N, anyone could register N unverified (without its mailbox)
    // and A's confirmation answered 409 email_taken until that account expired, 7 days later.
    const cookie = await signedIn(t, 'old11@example.test')
    await requestChange({ cookie }, { newEmail: 'new11@example.test', password: STRONG_PASSWORD })
    const token = await tokenFromMail(t, 'new11@example.test', 'confirm-email')
    expect(
      (await t.app.inject({ method: 'POST', url: '/v1/auth/register', payload: { email: 'new11@example.test', password: 'squatter passphrase 4 the win' } }))
        .statusCode,
    ).toBe(202)
    expect((await confirm(cookie, token)).statusCode).toBe(204)
    expect((await me(cookie)).json()).toMatchObject({ email: 'new11@example.test' })
    expect((await login(t, 'new11@example.test', 'squatter passphrase 4 the win')).statusCode).toBe(401)
    expect((await login(t, 'new11@example.test')).statusCode).toBe(200)
  })

  it('voids the pending link on every newer request, whether the new address is free, taken or past its mail cap', async () => {
    // Found by a QA pass: only a request that mailed a new link voided the older one, so whether the
    // first link still worked told whether the second address had an account (an enumeration oracle).
    await signedIn(t, 'holder12@example.test')
    // Three links this hour spend the cap of capped12: a fourth request mails it nothing.
    for (let i = 0; i < 3; i += 1) {
      await requestChange({ cookie: await signedIn(t, `spender12-${i}@example.test`) }, { newEmail: 'capped12@example.test', password: STRONG_PASSWORD })
    }
    const second = { taken: 'holder12@example.test', free: 'free12@example.test', capped: 'capped12@example.test' }
    const firstLink: Record<string, string> = {}
    for (const [kind, address] of Object.entries(second)) {
      const cookie = await signedIn(t, `old12-${kind}@example.test`)
      await requestChange({ cookie }, { newEmail: `mine12-${kind}@example.test`, password: STRONG_PASSWORD })
      const first = await tokenFromMail(t, `mine12-${kind}@example.test`, 'confirm-email')
      expect((await requestChange({ cookie }, { newEmail: address, password: STRONG_PASSWORD })).statusCode).toBe(202)
      const res = await confirm(cookie, first)
      firstLink[kind] = res.statusCode === 204 ? 'still worked' : res.json<{ error: string }>().error
      firstLink[`${kind} account`] = (await me(cookie)).json<{ email: string }>().email
    }
    expect(firstLink).toEqual({
      taken: 'invalid_token',
      free: 'invalid_token',
      capped: 'invalid_token',
      'taken account': 'old12-taken@example.test',
      'free account': 'old12-free@example.test',
      'capped account': 'old12-capped@example.test',
    })
  })

  it('checks the password once for a free, a taken and an unverified-held address alike', async () => {
    // The answer's time must not tell the cases apart: the one argon2 verify is the re-authentication,
    // made before the address is looked up; no branch hashes or verifies anything else.
    await signedIn(t, 'holder14@example.test')
    await register(t, 'unverified14@example.test', 'squatter passphrase 4 the win')
    const cookie = await signedIn(t, 'old14@example.test')
    const verifies: number[] = []
    const bodies: string[] = []
    for (const newEmail of ['free14@example.test', 'holder14@example.test', 'unverified14@example.test']) {
      verifies.push(
        await countVerifies(t, async () => {
          bodies.push((await requestChange({ cookie }, { newEmail, password: STRONG_PASSWORD })).body)
        }),
      )
    }
    expect(verifies).toEqual([1, 1, 1])
    expect(new Set(bodies).size).toBe(1)
  })

  it('mails the link to an address held only by an unverified sign-up, and the confirmation takes it over', async () => {
    // Found by a QA pass: an unverified sign-up on the address got the "someone tried to use this
    // address" notice instead of the link, and its owner could not move there until the sign-up
    // expired (UNVERIFIED_ACCOUNT_TTL_DAYS). The link proves the mailbox; a password never did.
    const squatterPassword = 'squatter passphrase 4 the win'
    expect((await register(t, 'squat13@example.test', squatterPassword)).statusCode).toBe(202)
    const signUpLink = await tokenFromMail(t, 'squat13@example.test', 'verify-email')
    const squatterId = await accountIdOf(t, 'squat13@example.test')
    const squatterSession = await sessionFor(t, squatterId) // as REQUIRE_VERIFIED_EMAIL=false would allow
    const cookie = await signedIn(t, 'old13@example.test')
    const before = (await mailsTo(t, 'squat13@example.test')).length

    const res = await requestChange({ cookie }, { newEmail: 'squat13@example.test', password: STRONG_PASSWORD })
    expect(res.statusCode).toBe(202)
    expect(res.json()).toEqual({ status: 'pending_confirmation' })
    const sent = (await mailsTo(t, 'squat13@example.test')).slice(before)
    expect(sent).toHaveLength(1)
    expect(sent[0]!.body_text).toMatch(/confirm-email#token=/)

    expect((await confirm(cookie, await tokenFromMail(t, 'squat13@example.test', 'confirm-email'))).statusCode).toBe(204)
    expect((await me(cookie)).json()).toMatchObject({ email: 'squat13@example.test', emailVerified: true })
    // The unverified account went as replaceEmail ends it: row, sessions and mail tokens, with an audit event.
    expect(await t.deps.db.selectFrom('accounts').select('id').where('id', '=', squatterId).executeTakeFirst()).toBeUndefined()
    expect((await me(squatterSession)).statusCode).toBe(401)
    expect((await verifyEmail(t, signUpLink, squatterPassword)).json()).toMatchObject({ error: 'invalid_token' })
    const deleted = await t.deps.db
      .selectFrom('security_events')
      .select('details')
      .where('account_id', '=', squatterId)
      .where('type', '=', 'account.deleted')
      .executeTakeFirst()
    expect(deleted?.details).toMatchObject({ reason: 'address_claimed_by_its_mailbox' })
    expect((await login(t, 'squat13@example.test', squatterPassword)).statusCode).toBe(401)
    expect((await login(t, 'squat13@example.test')).statusCode).toBe(200)
  })
})
