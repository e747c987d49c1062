// The WebAuthn registration ceremony end to end (and a first sign-in with what it made), with a
// software authenticator that makes real ES256 attestation and assertion objects: what is
// accepted, and every forgery or replay refused. Passkey sign-in alone: src/auth/passkey-login.int.test.ts.
import { describe, expect, it } from 'vitest'
import { login, mailsTo, sessionCookieFrom, signedIn } from '../testing/factories.js'
import {
  accountWithPasskey,
  authenticatorFor,
  registerPasskey,
  registrationOptions,
  sendAssertion,
  sendRegistration,
  signInOptions,
  signInWithPasskey,
} from '../testing/passkeys.js'
import { useTestApp } from '../testing/test-app.js'
import { NO_REQUEST_LIMITS } from '../testing/test-config.js'

describe('passkey ceremonies', () => {
  const t = useTestApp({ env: NO_REQUEST_LIMITS })
  let n = 0
  const nextEmail = () => `pk${++n}@example.test`

  it('registers a passkey and signs in with it, with no account hint in the options', async () => {
    const { email, authenticator } = await accountWithPasskey(t)
    const { options, res } = await signInOptions(t)
    expect(Object.keys(options).sort()).toEqual(['challenge', 'rpId', 'timeout', 'userVerification'])
    expect(options).toMatchObject({ rpId: 'localhost', userVerification: 'required' })
    const cookie = res.cookies.find((c) => c.name === '__Host-passkey-pending')
    expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict', path: '/' })

    const passkeyAnswer = await sendAssertion(t, `__Host-passkey-pending=${cookie?.value}`, authenticator.assert(options))
    expect(passkeyAnswer.statusCode).toBe(200)
    expect(passkeyAnswer.json().user).toMatchObject({ email })
    const session = sessionCookieFrom(passkeyAnswer)
    expect((await t.app.inject({ method: 'GET', url: '/v1/me', headers: { cookie: session } })).statusCode).toBe(200)
    const succeeded = await t.deps.db
      .selectFrom('security_events')
      .select('details')
      .where('type', '=', 'login.succeeded')
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow()
    expect(succeeded.details).toEqual({ factors: 'passkey' })
    expect((await mailsTo(t, email)).map((m) => m.subject).join('\n')).toContain('A passkey was added')
  })

  it('asks registration for a discoverable credential, user verification and no attestation', async () => {
    const session = await signedIn(t, nextEmail())
    const res = await registrationOptions(t, session)
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({
      rp: { id: 'localhost' },
      attestation: 'none',
      authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
    })
    expect(res.json().challenge).toMatch(/^[A-Za-z0-9_-]{43}$/)
  })

  it('refuses a registration made for another origin or RP ID', async () => {
    const session = await signedIn(t, nextEmail())
    const authenticator = authenticatorFor(t)
    for (const bend of [{ origin: 'https://evil.example' }, { rpId: 'evil.example' }]) {
      const options = await registrationOptions(t, session)
      const res = await sendRegistration(t, session, authenticator.register(options.json(), bend))
      expect(res.statusCode).toBe(400)
      expect(res.json()).toMatchObject({ error: 'passkey_rejected' })
    }
    expect((await t.app.inject({ method: 'GET', url: '/v1/me/passkeys', headers: { cookie: session } })).json()).toEqual({ passkeys: [] })
  })

  it('refuses a registration challenge used twice', async () => {
    const session = await signedIn(t, nextEmail())
    const options = (await registrationOptions(t, session)).json()
    expect((await sendRegistration(t, session, authenticatorFor(t).register(options))).statusCode).toBe(201)
    const again = await sendRegistration(t, session, authenticatorFor(t).register(options))
    expect(again.statusCode).toBe(400)
    expect(again.json()).toMatchObject({ error: 'passkey_rejected' })
  })

  it('refuses a challenge from another session or another pending sign-in', async () => {
    const email = nextEmail()
    const sessionA = await signedIn(t, email)
    const sessionB = sessionCookieFrom(await login(t, email))
    // Registration: options asked by session A, answer sent by session B of the same account.
    const optionsA = (await registrationOptions(t, sessionA)).json()
    const foreign = await sendRegistration(t, sessionB, authenticatorFor(t).register(optionsA))
    expect(foreign.statusCode).toBe(400)
    expect(foreign.json()).toMatchObject({ error: 'passkey_rejected' })

    // Sign-in: the challenge of pending cookie A signed, sent with pending cookie B.
    const authenticator = authenticatorFor(t)
    await registerPasskey(t, sessionA, authenticator)
    const a = await signInOptions(t)
    const b = await signInOptions(t)
    const crossed = await sendAssertion(t, b.pending, authenticator.assert(a.options))
    expect(crossed.statusCode).toBe(401)
    // And without any pending cookie at all.
    expect((await sendAssertion(t, '', authenticator.assert(a.options))).statusCode).toBe(401)
  })

  it('refuses a credential id longer than 1023 bytes hidden in the attestation', async () => {
    const session = await signedIn(t, nextEmail())
    const options = (await registrationOptions(t, session)).json()
    const long = authenticatorFor(t, { idBytes: 1100 }).register(options)
    const res = await sendRegistration(t, session, { ...long, id: 'AAAA', rawId: 'AAAA' })
    expect(res.statusCode).toBe(400)
    expect(res.json()).toMatchObject({ error: 'passkey_rejected' })
  })

  it('refuses a registration or an assertion without the user-verification flag', async () => {
    const session = await signedIn(t, nextEmail())
    const authenticator = authenticatorFor(t)
    const options = (await registrationOptions(t, session)).json()
    const noUv = await sendRegistration(t, session, authenticator.register(options, { userVerified: false }))
    expect(noUv.statusCode).toBe(400)
    expect(noUv.json()).toMatchObject({ error: 'passkey_rejected' })

    const good = authenticatorFor(t)
    await registerPasskey(t, session, good)
    const res = await signInWithPasskey(t, good, { userVerified: false })
    expect(res.statusCode).toBe(401)
    expect(res.json()).toMatchObject({ error: 'invalid_credentials' })
  })
})
