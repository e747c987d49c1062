import type { LightMyRequestResponse } from 'fastify'
import { beforeEach, describe, expect, it } from 'vitest'
import { buildApp } from '../app.js'
import { createLogger } from '../logging/logger.js'
import { accountIdOf, login, mailsTo, sessionCookieFrom, signedIn, STRONG_PASSWORD } from '../testing/factories.js'
import { accountWithTotp, totpNow } from '../testing/mfa.js'
import { asSession } from '../testing/requests.js'
import { useTestApp } from '../testing/test-app.js'
import { NO_REQUEST_LIMITS } from '../testing/test-config.js'

const PENDING = '__Host-mfa-pending'
// A step boundary plus 5 s, so "the next step" is always exactly 30 s away.
const START = new Date(Math.floor(Date.UTC(2026, 0, 5, 9, 0, 0) / 30_000) * 30_000 + 5_000)

describe('TOTP over HTTP (/v1/me/mfa and /v1/auth/login/mfa)', () => {
  // Many logins from one test address: lift the per-address limit so only the account rules under test apply.
  const t = useTestApp({ env: NO_REQUEST_LIMITS })
  let n = 0
  beforeEach(() => {
    t.clock.set(START)
    n += 1
  })

  const { post, del } = asSession(t)

  async function pendingLogin(email: string): Promise<string> {
    const res = await login(t, email)
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({ mfaRequired: true })
    expect(res.cookies.find((c) => c.name === '__Host-session')).toBeUndefined()
    return sessionCookieFrom(res, PENDING)
  }
  const sendCode = (pending: string, code: string): Promise<LightMyRequestResponse> => post('/v1/auth/login/mfa', pending, { code })

  /** An account that turned TOTP on over HTTP, for the test of what that enrolment stores; the
   * tests of what comes after enrolment take accountWithTotp() (the same service, no requests). */
  async function enrolOverHttp(): Promise<{ email: string; session: string; secret: string; codes: string[] }> {
    const email = `mfa${n}@example.test`
    const before = await signedIn(t, email)
    const { secret } = (await post('/v1/me/mfa/totp', before, { password: STRONG_PASSWORD })).json()
    const res = await post('/v1/me/mfa/totp/confirm', before, { code: await totpNow(t, secret) })
    expect(res.statusCode).toBe(200)
    t.clock.advance(30)
    // Confirming re-issued the session: it goes on under the new cookie.
    return { email, session: sessionCookieFrom(res), secret, codes: res.json().recoveryCodes }
  }

  it('enrols, confirms, and then logs in with a code: the whole flow', async () => {
    const email = 'flow@example.test'
    let session = await signedIn(t, email)

    const enrol = await post('/v1/me/mfa/totp', session, { password: STRONG_PASSWORD })
    expect(enrol.statusCode).toBe(200)
    const { secret, otpauthUrl, qrSvg } = enrol.json()
    expect(Object.keys(enrol.json()).sort()).toEqual(['otpauthUrl', 'qrSvg', 'secret'])
    expect(secret).toMatch(/^[A-Z2-7]{32}$/)
    const url = new URL(otpauthUrl)
    expect(url.protocol).toBe('otpauth:')
    expect(url.searchParams.get('secret')).toBe(secret)
    expect(url.searchParams.get('issuer')).toBe(t.deps.config.appName)
    expect(decodeURIComponent(url.pathname)).toContain(email)
    expect(qrSvg).toMatch(/^<svg[\s\S]*<\/svg>\s*$/)

    // Pending: not on yet, and the login still needs no code.
    expect((await t.app.inject({ method: 'GET', url: '/v1/me', headers: { cookie: session } })).json().mfaEnabled).toBe(false)
    expect((await login(t, email)).json().user).toBeDefined()

    const wrong = await post('/v1/me/mfa/totp/confirm', session, { code: (await totpNow(t, secret)) === '000000' ? '111111' : '000000' })
    expect(wrong.statusCode).toBe(401)
    expect(wrong.json().error).toBe('invalid_code')

    const confirmCode = await totpNow(t, secret)
    const confirmed = await post('/v1/me/mfa/totp/confirm', session, { code: confirmCode })
    expect(confirmed.statusCode).toBe(200)
    const codes: string[] = confirmed.json().recoveryCodes
    expect(codes).toHaveLength(10)
    expect(new Set(codes).size).toBe(10)
    session = sessionCookieFrom(confirmed)
    expect((await t.app.inject({ method: 'GET', url: '/v1/me', headers: { cookie: session } })).json().mfaEnabled).toBe(true)
    expect((await mailsTo(t, email)).map((m) => m.subject)).toContainEqual(expect.stringMatching(/turned on/))
    const events = await t.deps.db.selectFrom('security_events').select(['type', 'details']).where('type', 'like', 'mfa.%').execute()
    expect(events.map((e) => e.type)).toContain('mfa.totp_enabled')
    expect(JSON.stringify(events)).not.toContain(confirmCode)

    // The code that confirmed is spent: a login in the same step cannot reuse it.
    const pending = await pendingLogin(email)
    expect((await sendCode(pending, confirmCode)).json().error).toBe('invalid_code')

    t.clock.advance(30)
    const code = await totpNow(t, secret)
    const ok = await sendCode(pending, code)
    expect(ok.statusCode).toBe(200)
    expect(ok.json().user).toMatchObject({ email, mfaEnabled: true })
    const newSession = sessionCookieFrom(ok)
    expect(newSession).not.toBe(session)
    expect((await t.app.inject({ method: 'GET', url: '/v1/me', headers: { cookie: newSession } })).statusCode).toBe(200)
    // The pending login is spent too.
    expect((await sendCode(pending, await totpNow(t, secret, 1))).statusCode).toBe(401)

    // The same code on a new login, and an older (still in-window) code: both refused.
    const again = await pendingLogin(email)
    expect((await sendCode(again, code)).json().error).toBe('invalid_code')
    expect((await sendCode(again, await totpNow(t, secret, -1))).json().error).toBe('invalid_code')
  })

  it('stores the secret only as a sealed JWE bound to the account', async () => {
    const { email, secret } = await enrolOverHttp()
    const accountId = await accountIdOf(t, email)
    const row = await t.deps.db.selectFrom('totp_factors').selectAll().where('account_id', '=', accountId).executeTakeFirstOrThrow()
    expect(JSON.stringify(row)).not.toContain(secret)
    expect(JSON.stringify(row).toLowerCase()).not.toContain(secret.toLowerCase())
    const parts = row.secret_ciphertext.split('.')
    expect(parts).toHaveLength(5)
    expect(JSON.parse(Buffer.from(parts[0]!, 'base64url').toString())).toEqual({ alg: 'dir', enc: 'A256GCM', kid: 'test1', ctx: `totp:${accountId}` })
    const hashes = await t.deps.db.selectFrom('recovery_codes').select('code_hash').where('account_id', '=', accountId).execute()
    expect(hashes).toHaveLength(10)
    for (const h of hashes) expect(h.code_hash).toHaveLength(32)
  })

  it('refuses a code from another time: two steps back or ahead', async () => {
    const { email, secret } = await accountWithTotp(t)
    const pending = await pendingLogin(email)
    expect((await sendCode(pending, await totpNow(t, secret, -2))).statusCode).toBe(401)
    expect((await sendCode(pending, await totpNow(t, secret, 2))).statusCode).toBe(401)
    // Typed the way authenticator apps show it.
    const code = await totpNow(t, secret, 1)
    expect((await sendCode(pending, `${code.slice(0, 3)} ${code.slice(3)}`)).statusCode).toBe(200)
  })

  it('lets a recovery code in once, and only once', async () => {
    const { email, recoveryCodes: codes } = await accountWithTotp(t)
    const first = await sendCode(await pendingLogin(email), codes[0]!.toUpperCase())
    expect(first.statusCode).toBe(200)
    const reuse = await sendCode(await pendingLogin(email), codes[0]!)
    expect(reuse.statusCode).toBe(401)
    expect(reuse.json().error).toBe('invalid_code')
    expect((await sendCode(await pendingLogin(email), codes[1]!)).statusCode).toBe(200)
    expect((await mailsTo(t, email)).map((m) => m.subject)).toContainEqual(expect.stringMatching(/recovery code was used/))
  })

  it('ends the pending login after five wrong codes', async () => {
    const { email, secret } = await accountWithTotp(t)
    const pending = await pendingLogin(email)
    for (let i = 0; i < 5; i += 1)
      expect((await sendCode(pending, '000000' === (await totpNow(t, secret)) ? '999999' : '000000')).json().error).toBe('invalid_code')
    const late = await sendCode(pending, await totpNow(t, secret))
    expect(late.statusCode).toBe(401)
    expect(late.json().error).toBe('unauthenticated')
  })

  it('counts wrong codes per account across pending logins and answers 429 with Retry-After', async () => {
    const { email, secret } = await accountWithTotp(t)
    const wrong = (await totpNow(t, secret)) === '000000' ? '999999' : '000000'
    const limit = t.deps.config.auth.loginMaxFailuresPerAccount
    let pending = ''
    for (let i = 0; i < limit; i += 1) {
      if (i % 4 === 0) pending = await pendingLogin(email)
      expect((await sendCode(pending, wrong)).statusCode).toBe(401)
    }
    const blocked = await sendCode(await pendingLogin(email), await totpNow(t, secret))
    expect(blocked.statusCode).toBe(429)
    expect(blocked.json().error).toBe('rate_limited')
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0)
    t.clock.advance(t.deps.config.auth.loginFailureWindowSeconds + 1)
    expect((await sendCode(await pendingLogin(email), await totpNow(t, secret))).statusCode).toBe(200)
  })

  it('refuses a pending-login cookie that was never issued', async () => {
    const res = await sendCode(`${PENDING}=${'A'.repeat(43)}`, '123456')
    expect(res.statusCode).toBe(401)
    expect((await sendCode('', '123456')).statusCode).toBe(401)
  })

  it('re-enrolling replaces a pending secret, and enrolling with TOTP on is refused', async () => {
    let session = await signedIn(t, 'reenrol@example.test')
    const first = (await post('/v1/me/mfa/totp', session, { password: STRONG_PASSWORD })).json().secret
    const second = (await post('/v1/me/mfa/totp', session, { password: STRONG_PASSWORD })).json().secret
    expect(second).not.toBe(first)
    expect((await post('/v1/me/mfa/totp/confirm', session, { code: await totpNow(t, first) })).statusCode).toBe(401)
    const confirmed = await post('/v1/me/mfa/totp/confirm', session, { code: await totpNow(t, second) })
    expect(confirmed.statusCode).toBe(200)
    session = sessionCookieFrom(confirmed)
    const again = await post('/v1/me/mfa/totp', session, { password: STRONG_PASSWORD })
    expect(again.statusCode).toBe(409)
    expect(again.json().error).toBe('mfa_already_enabled')
    expect((await post('/v1/me/mfa/totp/confirm', session, { code: await totpNow(t, second, 1) })).json().error).toBe('mfa_already_enabled')
  })

  it('confirming without an enrolment is 409 totp_not_pending', async () => {
    const session = await signedIn(t, 'nothing@example.test')
    const res = await post('/v1/me/mfa/totp/confirm', session, { code: '123456' })
    expect(res.statusCode).toBe(409)
    expect(res.json().error).toBe('totp_not_pending')
  })

  it('makes a new set of recovery codes after the password and a code; the old set dies', async () => {
    const { email, session, secret, recoveryCodes: codes } = await accountWithTotp(t)
    const wrong = await post('/v1/me/mfa/recovery-codes', session, { password: 'not the password at all', code: await totpNow(t, secret) })
    expect(wrong.statusCode).toBe(401)
    expect(wrong.json().error).toBe('invalid_credentials')
    const res = await post('/v1/me/mfa/recovery-codes', session, { password: STRONG_PASSWORD, code: await totpNow(t, secret) })
    expect(res.statusCode).toBe(200)
    const fresh: string[] = res.json().recoveryCodes
    expect(fresh).toHaveLength(10)
    expect(fresh).not.toContain(codes[0])
    expect((await sendCode(await pendingLogin(email), codes[0]!)).statusCode).toBe(401)
    expect((await sendCode(await pendingLogin(email), fresh[0]!)).statusCode).toBe(200)
    expect((await mailsTo(t, email)).map((m) => m.subject)).toContainEqual(expect.stringMatching(/New recovery codes/))
  })

  it('turns TOTP off only with the password and a code, and mails the owner', async () => {
    const { email, session, secret, recoveryCodes: codes } = await accountWithTotp(t)
    const wrong = await del('/v1/me/mfa/totp', session, { password: 'not the password at all', code: await totpNow(t, secret) })
    expect(wrong.statusCode).toBe(401)
    expect((await t.app.inject({ method: 'GET', url: '/v1/me', headers: { cookie: session } })).json().mfaEnabled).toBe(true)
    const pending = await pendingLogin(email)

    expect((await del('/v1/me/mfa/totp', session, { password: STRONG_PASSWORD, code: await totpNow(t, secret) })).statusCode).toBe(204)
    expect((await t.app.inject({ method: 'GET', url: '/v1/me', headers: { cookie: session } })).json().mfaEnabled).toBe(false)
    expect((await mailsTo(t, email)).map((m) => m.subject)).toContainEqual(expect.stringMatching(/turned off/))
    // Pending logins and recovery codes went with it; the next login needs no code.
    expect((await sendCode(pending, codes[0]!)).statusCode).toBe(401)
    expect((await login(t, email)).json().user).toBeDefined()
    expect((await del('/v1/me/mfa/totp', session, { password: STRONG_PASSWORD })).json().error).toBe('mfa_not_enabled')
  })

  it('needs a session: 401 without one, 403 session_required for an API token', async () => {
    expect((await t.app.inject({ method: 'POST', url: '/v1/me/mfa/totp', payload: { password: STRONG_PASSWORD } })).statusCode).toBe(401)
    const session = await signedIn(t, 'tokens@example.test')
    const created = await post('/v1/tokens', session, { name: 'ci', scopes: ['account:read'] })
    expect(created.statusCode).toBe(201)
    const bearer = { authorization: `Bearer ${created.json().token as string}` }
    const res = await t.app.inject({ method: 'POST', url: '/v1/me/mfa/totp', headers: bearer, payload: { password: STRONG_PASSWORD } })
    expect(res.statusCode).toBe(403)
    expect(res.json().error).toBe('session_required')
  })

  it('refuses unknown and malformed fields', async () => {
    const session = await signedIn(t, 'schema@example.test')
    for (const payload of [{ code: '123456', extra: 1 }, { code: '12345' }, { code: 123456 }, {}]) {
      const res = await post('/v1/me/mfa/totp/confirm', session, payload)
      expect(res.statusCode).toBe(400)
      expect(res.json().error).toBe('validation_failed')
    }
    expect((await post('/v1/me/mfa/recovery-codes', session, { password: 'x', isAdmin: true })).statusCode).toBe(400)
  })
})

describe('MFA secrets in logs', () => {
  const t = useTestApp({ env: NO_REQUEST_LIMITS })

  it('never writes the seed, a code, a recovery code, the pending token or the ciphertext to the log', async () => {
    t.clock.set(START)
    const lines: string[] = []
    const app = await buildApp({ ...t.deps, log: createLogger({ level: 'trace', pretty: false }, { write: (line: string) => void lines.push(line) }) })
    const inject = (method: 'POST' | 'DELETE', url: string, cookie: string, payload?: object) =>
      app.inject({ method, url, headers: { cookie }, ...(payload ? { payload } : {}) })
    try {
      const session = await signedIn(t, 'logs@example.test')
      const { secret } = (await inject('POST', '/v1/me/mfa/totp', session, { password: STRONG_PASSWORD })).json()
      const confirmCode = await totpNow(t, secret)
      const confirmed = await inject('POST', '/v1/me/mfa/totp/confirm', session, { code: confirmCode })
      const codes: string[] = confirmed.json().recoveryCodes
      const pendingRes = await app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email: 'logs@example.test', password: STRONG_PASSWORD } })
      const pending = sessionCookieFrom(pendingRes, PENDING)
      expect((await inject('POST', '/v1/auth/login/mfa', pending, { code: confirmCode })).statusCode).toBe(401)
      const ok = await inject('POST', '/v1/auth/login/mfa', pending, { code: codes[0]! })
      expect(ok.statusCode).toBe(200)
      await inject('DELETE', '/v1/me/mfa/totp', sessionCookieFrom(ok), { password: STRONG_PASSWORD, code: codes[1]! })

      const log = lines.join('\n')
      expect(lines.length).toBeGreaterThan(5)
      for (const secretValue of [secret, confirmCode, ...codes, ...codes.map((c) => c.replace(/-/g, '')), pending.split('=')[1]!, STRONG_PASSWORD]) {
        expect(log).not.toContain(secretValue)
      }
      expect(log).not.toMatch(/eyJhbGciOiJkaXIi/) // the start of every sealed value
    } finally {
      await app.close()
    }
  })
})
