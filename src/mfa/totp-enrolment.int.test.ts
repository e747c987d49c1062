// Security property: confirming TOTP confirms exactly the secret this enrolment showed, to the session
// that asked for it (compare-and-set on the sealed secret and the session), and the session that
// gains the factor goes on under a new token. A parallel enrolment from another session cannot swap
// the secret between the code check and the UPDATE, nor can a session confirm a secret it never saw.
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { login, sessionCookieFrom, signedIn, STRONG_PASSWORD } from '../testing/factories.js'
import { totpNow } from '../testing/mfa.js'
import { asSession } from '../testing/requests.js'
import { useTestApp } from '../testing/test-app.js'
import { NO_REQUEST_LIMITS } from '../testing/test-config.js'

// A pause between "the code matched this secret" and the confirming UPDATE, where a test can run a
// parallel request: the window a read-check-write confirmation leaves open.
const pause = vi.hoisted(() => ({ afterMatch: null as null | (() => Promise<void>) }))
vi.mock('./totp.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('./totp.js')>()
  return {
    ...actual,
    matchTotpStep: async (...args: Parameters<typeof actual.matchTotpStep>) => {
      const step = await actual.matchTotpStep(...args)
      const hook = pause.afterMatch
      pause.afterMatch = null
      if (hook) await hook()
      return step
    },
  }
})

const START = new Date(Math.floor(Date.UTC(2026, 4, 2, 10, 0, 0) / 30_000) * 30_000 + 5_000)

describe('TOTP enrolment is bound to its session and secret', () => {
  const t = useTestApp({ env: NO_REQUEST_LIMITS })
  let n = 0
  beforeEach(() => {
    t.clock.set(START)
    pause.afterMatch = null
    n += 1
  })

  const { post } = asSession(t)
  const enrol = async (cookie: string) => {
    const res = await post('/v1/me/mfa/totp', cookie, { password: STRONG_PASSWORD })
    expect(res.statusCode).toBe(200)
    return res.json().secret as string
  }
  const mfaOn = async (cookie: string) => (await t.app.inject({ method: 'GET', url: '/v1/me', headers: { cookie } })).json().mfaEnabled as boolean

  /** One account, two signed-in sessions (two browsers). */
  async function twoSessions(): Promise<{ email: string; a: string; b: string }> {
    const email = `enrol-race${n}@example.test`
    const a = await signedIn(t, email)
    const b = sessionCookieFrom(await login(t, email))
    return { email, a, b }
  }

  it('a parallel enrolment between the code check and the confirmation does not turn on a secret the confirmer never saw', async () => {
    const { email, a, b } = await twoSessions()
    const secretA = await enrol(a)
    let secretB = ''
    pause.afterMatch = async () => {
      secretB = await enrol(b)
    }
    const confirm = await post('/v1/me/mfa/totp/confirm', a, { code: await totpNow(t, secretA) })
    expect(secretB).toMatch(/^[A-Z2-7]{32}$/)
    expect(confirm.statusCode).not.toBe(200)
    expect(await mfaOn(b)).toBe(false)
    // Nothing is on: the next login needs no code (and B's secret, which nobody confirmed, opens nothing).
    expect((await login(t, email)).json().user).toBeDefined()
  })

  it('after another session re-enrols, the first session confirming with its own code turns nothing on', async () => {
    const { email, a, b } = await twoSessions()
    const secretA = await enrol(a)
    await enrol(b)
    const confirm = await post('/v1/me/mfa/totp/confirm', a, { code: await totpNow(t, secretA) })
    expect(confirm.statusCode).toBe(409)
    expect(confirm.json().error).toBe('totp_not_pending')
    expect(await mfaOn(a)).toBe(false)
    expect((await login(t, email)).json().user).toBeDefined()
  })

  it('only the session that started an enrolment can confirm it', async () => {
    const { a, b } = await twoSessions()
    const secretA = await enrol(a)
    // B presents a valid code of A's secret (seen over a shoulder, say): still not B's enrolment.
    const stranger = await post('/v1/me/mfa/totp/confirm', b, { code: await totpNow(t, secretA) })
    expect(stranger.statusCode).toBe(409)
    expect(stranger.json().error).toBe('totp_not_pending')
    expect(await mfaOn(a)).toBe(false)
    const own = await post('/v1/me/mfa/totp/confirm', a, { code: await totpNow(t, secretA) })
    expect(own.statusCode).toBe(200)
  })

  it('re-issues the session token when TOTP is confirmed: a new cookie, the old token dead, other sessions untouched', async () => {
    const { a, b } = await twoSessions()
    const secret = await enrol(a)
    const confirm = await post('/v1/me/mfa/totp/confirm', a, { code: await totpNow(t, secret) })
    expect(confirm.statusCode).toBe(200)
    const cookie = confirm.cookies.find((c) => c.name === '__Host-session')
    expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Lax', path: '/' })
    const rotated = sessionCookieFrom(confirm)
    expect(rotated).not.toBe(a)
    expect((await t.app.inject({ method: 'GET', url: '/v1/me', headers: { cookie: a } })).statusCode).toBe(401)
    expect((await t.app.inject({ method: 'GET', url: '/v1/me', headers: { cookie: rotated } })).statusCode).toBe(200)
    // Same session (same id in the list), new token.
    const list = await t.app.inject({ method: 'GET', url: '/v1/sessions', headers: { cookie: rotated } })
    expect(list.json().sessions.filter((s: { current: boolean }) => s.current)).toHaveLength(1)
    expect((await t.app.inject({ method: 'GET', url: '/v1/me', headers: { cookie: b } })).statusCode).toBe(200)
  })
})
