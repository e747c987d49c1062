// Managing passkeys over HTTP: list, rename, remove (with full re-authentication and a mail), the
// account's other factors, MFA_REQUIRED, and what account deletion and a password reset leave.
import { describe, expect, it } from 'vitest'
import { accountIdOf, enableTotp, login, mailsTo, signedIn, STRONG_PASSWORD } from '../testing/factories.js'
import { authenticatorFor, registerPasskey, registrationOptions, sendRegistration, signInWithPasskey } from '../testing/passkeys.js'
import { useTestApp } from '../testing/test-app.js'
import { referenceTotp } from '../testing/totp-reference.js'
import type { PasskeyView } from './passkeys.schemas.js'
import { removeAllPasskeys } from './passkeys.service.js'
import { NO_REQUEST_LIMITS } from '../testing/test-config.js'

const headers = (cookie: string) => ({ cookie })

describe('/v1/me/passkeys', () => {
  const t = useTestApp({ env: NO_REQUEST_LIMITS })
  let n = 0
  const nextEmail = () => `keys${++n}@example.test`
  const list = async (session: string): Promise<PasskeyView[]> => {
    const body: { passkeys: PasskeyView[] } = (await t.app.inject({ method: 'GET', url: '/v1/me/passkeys', headers: headers(session) })).json()
    return body.passkeys
  }

  it('lists, renames and removes a passkey; removal needs the password and mails the owner', async () => {
    const email = nextEmail()
    const session = await signedIn(t, email)
    const authenticator = authenticatorFor(t, { backupEligible: true })
    const { id } = await registerPasskey(t, session, authenticator, {}, 'Phone')
    const [view] = await list(session)
    expect(view).toEqual({ id, name: 'Phone', createdAt: expect.any(String), lastUsedAt: null, backedUp: true })
    expect(Object.keys(view ?? {})).not.toContain('publicKey')

    await signInWithPasskey(t, authenticator)
    expect((await list(session))[0]!.lastUsedAt).not.toBeNull()

    const renamed = await t.app.inject({ method: 'PATCH', url: `/v1/me/passkeys/${id}`, headers: headers(session), payload: { name: 'Work phone' } })
    expect(renamed.statusCode).toBe(200)
    expect(renamed.json()).toMatchObject({ id, name: 'Work phone' })

    const wrong = await t.app.inject({
      method: 'DELETE',
      url: `/v1/me/passkeys/${id}`,
      headers: headers(session),
      payload: { password: 'not the password at all' },
    })
    expect(wrong.statusCode).toBe(401)
    expect(wrong.json()).toMatchObject({ error: 'invalid_credentials' })
    expect(await list(session)).toHaveLength(1)

    const removed = await t.app.inject({ method: 'DELETE', url: `/v1/me/passkeys/${id}`, headers: headers(session), payload: { password: STRONG_PASSWORD } })
    expect(removed.statusCode).toBe(204)
    expect(await list(session)).toEqual([])
    expect((await mailsTo(t, email)).map((m) => m.subject).join('\n')).toContain('A passkey was removed')
    expect((await signInWithPasskey(t, authenticator)).statusCode).toBe(401)
    const types = (await t.deps.db.selectFrom('security_events').select('type').where('type', 'like', 'passkey.%').execute()).map((e) => e.type)
    expect(types).toEqual(expect.arrayContaining(['passkey.registered', 'passkey.renamed', 'passkey.deleted']))
  })

  it('answers 404 for another account passkey and leaves it working', async () => {
    const owner = await signedIn(t, nextEmail())
    const other = await signedIn(t, nextEmail())
    const authenticator = authenticatorFor(t)
    const { id } = await registerPasskey(t, owner, authenticator)
    const rename = await t.app.inject({ method: 'PATCH', url: `/v1/me/passkeys/${id}`, headers: headers(other), payload: { name: 'mine now' } })
    expect(rename.statusCode).toBe(404)
    const del = await t.app.inject({ method: 'DELETE', url: `/v1/me/passkeys/${id}`, headers: headers(other), payload: { password: STRONG_PASSWORD } })
    expect(del.statusCode).toBe(404)
    expect(await list(owner)).toHaveLength(1)
    expect((await signInWithPasskey(t, authenticator)).statusCode).toBe(200)
  })

  it('needs a session: 401 without one, 403 session_required for an API token', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/v1/me/passkeys' })).statusCode).toBe(401)
    const session = await signedIn(t, nextEmail())
    const created = await t.app.inject({ method: 'POST', url: '/v1/tokens', headers: headers(session), payload: { name: 'ci', scopes: ['account:read'] } })
    const bearer = { authorization: `Bearer ${created.json().token}` }
    const res = await t.app.inject({ method: 'POST', url: '/v1/me/passkeys/registration/options', headers: bearer, payload: { password: STRONG_PASSWORD } })
    expect(res.statusCode).toBe(403)
    expect(res.json()).toMatchObject({ error: 'session_required' })
  })

  it('asks a TOTP account for a code before registering, and then skips TOTP at a passkey sign-in', async () => {
    const email = nextEmail()
    const { cookie: session, secret } = await enableTotp(t, await signedIn(t, email))
    t.clock.advance(30)

    const noCode = await registrationOptions(t, session)
    expect(noCode.statusCode).toBe(401)
    expect(noCode.json()).toMatchObject({ error: 'mfa_code_required' })
    const options = await registrationOptions(t, session, { password: STRONG_PASSWORD, code: await referenceTotp(secret, t.clock.now()) })
    expect(options.statusCode).toBe(200)
    const authenticator = authenticatorFor(t)
    expect((await sendRegistration(t, session, authenticator.register(options.json()))).statusCode).toBe(201)

    expect((await login(t, email)).json()).toEqual({ mfaRequired: true })
    const passkeyAnswer = await signInWithPasskey(t, authenticator)
    expect(passkeyAnswer.statusCode).toBe(200)
    expect(passkeyAnswer.json().user).toMatchObject({ email, mfaEnabled: true })
  })

  it('refuses a credential id that is already registered', async () => {
    const session = await signedIn(t, nextEmail())
    const authenticator = authenticatorFor(t)
    const options = (await registrationOptions(t, session)).json()
    const first = authenticator.register(options)
    expect((await sendRegistration(t, session, first)).statusCode).toBe(201)
    // The same credential attested again over a fresh challenge (an authenticator ignoring excludeCredentials).
    const again = (await registrationOptions(t, session)).json()
    expect(again.excludeCredentials).toEqual([{ id: first.id, type: 'public-key', transports: ['internal'] }])
    const res = await sendRegistration(t, session, authenticator.register(again, { reuseCredential: true }))
    expect(res.statusCode).toBe(409)
    expect(res.json()).toMatchObject({ error: 'passkey_exists' })
    expect(await list(session)).toHaveLength(1)
    // And the same credential id under another account is refused too.
    const other = await signedIn(t, nextEmail())
    const theirs = (await registrationOptions(t, other)).json()
    expect((await sendRegistration(t, other, authenticator.register(theirs, { reuseCredential: true }))).statusCode).toBe(409)
  })

  it('goes with the account when it is deleted', async () => {
    const session = await signedIn(t, nextEmail())
    const authenticator = authenticatorFor(t)
    await registerPasskey(t, session, authenticator)
    const me = (await t.app.inject({ method: 'GET', url: '/v1/me', headers: headers(session) })).json()
    const del = await t.app.inject({ method: 'DELETE', url: '/v1/me', headers: headers(session), payload: { password: STRONG_PASSWORD } })
    expect(del.statusCode).toBe(204)
    expect((await signInWithPasskey(t, authenticator)).statusCode).toBe(401)
    expect(await t.deps.db.selectFrom('passkeys').select('id').where('account_id', '=', me.id).execute()).toEqual([])
  })

  it('removeAllPasskeys() removes every passkey of one account (the password-reset hook)', async () => {
    const session = await signedIn(t, nextEmail())
    const other = await signedIn(t, nextEmail())
    const a = authenticatorFor(t)
    const b = authenticatorFor(t)
    const kept = authenticatorFor(t)
    await registerPasskey(t, session, a)
    await registerPasskey(t, session, b)
    await registerPasskey(t, other, kept)
    const me = (await t.app.inject({ method: 'GET', url: '/v1/me', headers: headers(session) })).json()
    expect(await removeAllPasskeys(t.deps.db, me.id)).toBe(2)
    expect((await signInWithPasskey(t, a)).statusCode).toBe(401)
    expect((await signInWithPasskey(t, b)).statusCode).toBe(401)
    expect((await signInWithPasskey(t, kept)).statusCode).toBe(200)
  })
})

// NIST SP 800-63B-4 §4.1.2.1: an authenticator is added only at the assurance level it will be used
// at. Found with decision 0101: with the password alone, a session of a passkey account could add
// a passkey of its own and then use it as a second factor.
describe('adding a second factor to an account that has one', () => {
  const t = useTestApp({ env: NO_REQUEST_LIMITS })

  it('needs a multi-factor sign-in (403 mfa_required from a password-only session); the session that adds the first counts as one', async () => {
    const email = 'step-up@example.test'
    const first = await signedIn(t, email)
    const authenticator = authenticatorFor(t)
    await registerPasskey(t, first, authenticator)
    // The session that added the account's first factor has proved it: it may add another.
    await registerPasskey(t, first, authenticatorFor(t), {}, 'Second')
    const byPassword = await login(t, email)
    expect(byPassword.statusCode).toBe(200)
    const passwordOnly = byPassword.cookies.find((c) => c.name === '__Host-session')?.value ?? ''
    const options = await registrationOptions(t, `__Host-session=${passwordOnly}`)
    expect(options.statusCode).toBe(403)
    expect(options.json()).toMatchObject({ error: 'mfa_required' })
    const totp = await t.app.inject({
      method: 'POST',
      url: '/v1/me/mfa/totp',
      headers: headers(`__Host-session=${passwordOnly}`),
      payload: { password: STRONG_PASSWORD },
    })
    expect(totp.statusCode).toBe(403)
    expect(totp.json()).toMatchObject({ error: 'mfa_required' })
    // Signed in with the passkey, the same person adds a factor.
    const passkeySignIn = await signInWithPasskey(t, authenticator)
    const bySignIn = `__Host-session=${passkeySignIn.cookies.find((c) => c.name === '__Host-session')?.value ?? ''}`
    expect((await registrationOptions(t, bySignIn)).statusCode).toBe(200)
  })
})

describe('passkeys under MFA_REQUIRED=true', () => {
  const t = useTestApp({ env: { MFA_REQUIRED: 'true', PASSWORD_MIN_LENGTH: '8', UNAUTHENTICATED_RATE_LIMIT_MAX: '100000' } })
  const list = async (session: string): Promise<PasskeyView[]> => {
    const body: { passkeys: PasskeyView[] } = (await t.app.inject({ method: 'GET', url: '/v1/me/passkeys', headers: headers(session) })).json()
    return body.passkeys
  }

  it('lets a passkey be the second factor: it opens the account, the password alone no longer does', async () => {
    const email = 'pk-required@example.test'
    const session = await signedIn(t, email)
    expect((await t.app.inject({ method: 'GET', url: '/v1/sessions', headers: headers(session) })).json()).toMatchObject({ error: 'mfa_enrolment_required' })

    const authenticator = authenticatorFor(t)
    const { id } = await registerPasskey(t, session, authenticator)
    expect((await t.app.inject({ method: 'GET', url: '/v1/sessions', headers: headers(session) })).statusCode).toBe(200)

    const passwordOnly = await login(t, email)
    expect(passwordOnly.statusCode).toBe(403)
    expect(passwordOnly.json()).toMatchObject({ error: 'passkey_required' })
    expect(passwordOnly.cookies.find((c) => c.name === '__Host-session')).toBeUndefined()

    const passkeyAnswer = await signInWithPasskey(t, authenticator)
    expect(passkeyAnswer.statusCode).toBe(200)
    const cookie = passkeyAnswer.cookies.find((c) => c.name === '__Host-session')
    const passkeySession = `__Host-session=${cookie?.value}`
    expect((await t.app.inject({ method: 'GET', url: '/v1/sessions', headers: headers(passkeySession) })).statusCode).toBe(200)

    const last = await t.app.inject({
      method: 'DELETE',
      url: `/v1/me/passkeys/${id}`,
      headers: headers(passkeySession),
      payload: { password: STRONG_PASSWORD },
    })
    expect(last.statusCode).toBe(409)
    expect(last.json()).toMatchObject({ error: 'mfa_required' })
    expect(await t.deps.db.selectFrom('passkeys').select('id').where('id', '=', id).executeTakeFirst()).toBeDefined()
  })

  // Decision 0060 left this out: TOTP could not be turned off under MFA_REQUIRED even where a passkey
  // stays the account's second factor.
  it('turns TOTP off while a passkey stays the second factor, and refuses it where TOTP is the only one', async () => {
    const session = await signedIn(t, 'pk-and-totp@example.test')
    await registerPasskey(t, session, authenticatorFor(t))
    const withPasskey = await enableTotp(t, session)
    const off = await t.app.inject({
      method: 'DELETE',
      url: '/v1/me/mfa/totp',
      headers: headers(withPasskey.cookie),
      payload: { password: STRONG_PASSWORD, code: withPasskey.recoveryCodes[0] },
    })
    expect(off.statusCode).toBe(204)
    expect((await t.app.inject({ method: 'GET', url: '/v1/me', headers: headers(withPasskey.cookie) })).json()).toMatchObject({ mfaEnabled: false })
    // The notice does not tell the owner the password alone is left: the passkey still signs in.
    const notice = (await mailsTo(t, 'pk-and-totp@example.test')).find((m) => m.subject.endsWith('Two-factor sign-in was turned off'))
    expect(notice?.body_text).toContain('passkey')
    expect(notice?.body_text).not.toContain('password alone')

    const totpOnly = await enableTotp(t, await signedIn(t, 'totp-only@example.test'))
    const refused = await t.app.inject({
      method: 'DELETE',
      url: '/v1/me/mfa/totp',
      headers: headers(totpOnly.cookie),
      payload: { password: STRONG_PASSWORD, code: totpOnly.recoveryCodes[0] },
    })
    expect(refused.statusCode).toBe(409)
    expect(refused.json()).toMatchObject({ error: 'mfa_required' })
  })

  it('keeps one factor when turning TOTP off races the removal of the last passkey', async () => {
    const session = await signedIn(t, 'pk-totp-race@example.test')
    const { id } = await registerPasskey(t, session, authenticatorFor(t))
    const factors = await enableTotp(t, session)
    const [totpOff, passkeyOff] = await Promise.all([
      t.app.inject({
        method: 'DELETE',
        url: '/v1/me/mfa/totp',
        headers: headers(factors.cookie),
        payload: { password: STRONG_PASSWORD, code: factors.recoveryCodes[0] },
      }),
      t.app.inject({
        method: 'DELETE',
        url: `/v1/me/passkeys/${id}`,
        headers: headers(factors.cookie),
        payload: { password: STRONG_PASSWORD, code: factors.recoveryCodes[1] },
      }),
    ])
    // One wins. The other is refused as the last factor (409), or its recovery code died with TOTP (401).
    const statuses = [totpOff.statusCode, passkeyOff.statusCode]
    expect(statuses.filter((s) => s === 204)).toHaveLength(1)
    expect(statuses.filter((s) => s !== 204).every((s) => s === 409 || s === 401)).toBe(true)
    const accountId = await accountIdOf(t, 'pk-totp-race@example.test')
    const passkeys = await t.deps.db.selectFrom('passkeys').select('id').where('account_id', '=', accountId).execute()
    const totp = await t.deps.db
      .selectFrom('totp_factors')
      .select('account_id')
      .where('account_id', '=', accountId)
      .where('confirmed_at', 'is not', null)
      .execute()
    expect(passkeys.length + totp.length).toBe(1)
  })

  it('removes one of two passkeys, but not the last, even when both removals race', async () => {
    const email = 'pk-race@example.test'
    const session = await signedIn(t, email)
    const a = await registerPasskey(t, session, authenticatorFor(t))
    const b = await registerPasskey(t, session, authenticatorFor(t))
    const results = await Promise.all(
      [a.id, b.id].map((id) =>
        t.app.inject({ method: 'DELETE', url: `/v1/me/passkeys/${id}`, headers: headers(session), payload: { password: STRONG_PASSWORD } }),
      ),
    )
    expect(results.map((r) => r.statusCode).sort()).toEqual([204, 409])
    expect(await list(session)).toHaveLength(1)
  })
})
