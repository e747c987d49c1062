// Security property: a TOTP code (and a recovery code) is accepted once. Neither a replay, nor an
// older step, nor the same code raced in parallel gets a second login (RFC 6238 §5.2, ASVS V6.5.1).
import { describe, expect, it } from 'vitest'
import { randomIntBetween } from '../crypto/random.js'
import { sessionCookieFrom, login } from '../testing/factories.js'
import { accountWithTotp } from '../testing/mfa.js'
import { useTestApp } from '../testing/test-app.js'
import { referenceTotpForStep, stepAt } from '../testing/totp-reference.js'
import { completeMfaChallenge, startMfaChallenge } from './mfa.service.js'
import { NO_REQUEST_LIMITS } from '../testing/test-config.js'

const META = { ip: '192.0.2.1', userAgent: 'vitest' }
const START = new Date(Math.floor(Date.UTC(2026, 2, 1, 12, 0, 0) / 30_000) * 30_000 + 1_000)

describe('TOTP replay protection', () => {
  const t = useTestApp({ env: { ...NO_REQUEST_LIMITS, LOGIN_MAX_FAILURES_PER_ACCOUNT: '1000' } })
  /** 'ok', or the error code the attempt was refused with. */
  const attempt = async (accountId: string, code: string): Promise<string> => {
    const { token } = await startMfaChallenge(t.deps, t.deps.db, accountId)
    return completeMfaChallenge(t.deps, token, code, META).then(
      () => 'ok',
      (err: unknown) => (err as { code?: string }).code ?? 'error',
    )
  }

  it('accepts exactly the codes whose step is in the window and above every step accepted before', async () => {
    t.clock.set(START)
    const { id: accountId, secret } = await accountWithTotp(t)
    let lastAccepted = stepAt(t.clock.now()) - 1 // the confirmation spent the previous step
    for (let i = 0; i < 60; i += 1) {
      t.clock.advance(randomIntBetween(0, 3) * 15)
      const now = stepAt(t.clock.now())
      const codeStep = now + randomIntBetween(-3, 4)
      const expected = Math.abs(codeStep - now) <= 1 && codeStep > lastAccepted ? 'ok' : 'invalid_code'
      const outcome = await attempt(accountId, await referenceTotpForStep(secret, codeStep))
      // A different step can share the 6 digits by chance (1 in 10^6); then otplib may match it.
      expect({ i, codeStep, now, lastAccepted, outcome }).toEqual({ i, codeStep, now, lastAccepted, outcome: expected })
      if (outcome === 'ok') lastAccepted = codeStep
    }
  })

  it('lets the same code through once when it is sent on five pending logins at once', async () => {
    t.clock.set(START)
    for (let round = 0; round < 5; round += 1) {
      const { id: accountId, secret } = await accountWithTotp(t)
      const code = await referenceTotpForStep(secret, stepAt(t.clock.now()))
      const tokens = await Promise.all(Array.from({ length: 5 }, () => startMfaChallenge(t.deps, t.deps.db, accountId)))
      const outcomes = await Promise.allSettled(tokens.map(({ token }) => completeMfaChallenge(t.deps, token, code, META)))
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1)
      for (const o of outcomes) if (o.status === 'rejected') expect((o.reason as { code: string }).code).toBe('invalid_code')
    }
  })

  it('lets one pending login through once when five codes race on it', async () => {
    t.clock.set(START)
    const { id: accountId, recoveryCodes: codes } = await accountWithTotp(t)
    const { token } = await startMfaChallenge(t.deps, t.deps.db, accountId)
    const outcomes = await Promise.allSettled(codes.slice(0, 5).map((code) => completeMfaChallenge(t.deps, token, code, META)))
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1)
  })

  it('spends a recovery code once when it races on five pending logins', async () => {
    t.clock.set(START)
    const { id: accountId, recoveryCodes: codes } = await accountWithTotp(t)
    const tokens = await Promise.all(Array.from({ length: 5 }, () => startMfaChallenge(t.deps, t.deps.db, accountId)))
    const outcomes = await Promise.allSettled(tokens.map(({ token }) => completeMfaChallenge(t.deps, token, codes[3]!, META)))
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1)
    const used = await t.deps.db.selectFrom('recovery_codes').select('id').where('account_id', '=', accountId).where('used_at', 'is not', null).execute()
    expect(used).toHaveLength(1)
  })

  it('over HTTP: the same code on five parallel POST /v1/auth/login/mfa gives one session', async () => {
    t.clock.set(START)
    const { email, secret } = await accountWithTotp(t)
    const pendings = await Promise.all(Array.from({ length: 5 }, async () => sessionCookieFrom(await login(t, email), '__Host-mfa-pending')))
    const code = await referenceTotpForStep(secret, stepAt(t.clock.now()))
    const answers = await Promise.all(
      pendings.map((cookie) => t.app.inject({ method: 'POST', url: '/v1/auth/login/mfa', headers: { cookie }, payload: { code } })),
    )
    expect(answers.map((a) => a.statusCode).sort()).toEqual([200, 401, 401, 401, 401])
    expect(answers.filter((a) => a.cookies.some((c) => c.name === '__Host-session' && c.value !== ''))).toHaveLength(1)
  })
})
