// A login racing a credential change (decision 0043): the login verifies the old password, then, before it
// issues its session, the password is changed, reset or flagged. The credential is versioned and
// locked in the transaction that issues the session, so that login must not leave a live session,
// and its opportunistic rehash must not write the old password back. The tests pause the argon2
// verify with a promise, change the credential meanwhile, then let the login finish.
import type { FastifyInstance } from 'fastify'
import type { KyselyPlugin, OperationNode, QueryId } from 'kysely'
import { afterAll, describe, expect, it } from 'vitest'
import { buildApp } from '../app.js'
import { PasswordHasher } from '../crypto/password.js'
import { referenceTotp } from '../testing/totp-reference.js'
import { accountIdOf, login, sessionCookieFrom, signUpAndLogin, STRONG_PASSWORD, tokenFromMail } from '../testing/factories.js'
import { useTestApp, type TestApp } from '../testing/test-app.js'
import { requirePasswordChange } from './password-compromise.service.js'

const NEW_PASSWORD = 'the owner changed it during the login'

/** Makes the next hasher.verify wait, after computing its answer, until `release()` is called. */
function pauseNextVerify(t: TestApp): { entered: Promise<void>; release: () => void } {
  const hasher = t.deps.hasher
  const original = hasher.verify.bind(hasher)
  let markEntered!: () => void
  let open!: () => void
  const entered = new Promise<void>((resolve) => (markEntered = resolve))
  const gate = new Promise<void>((resolve) => (open = resolve))
  let paused = false
  hasher.verify = async (hash, password, place) => {
    const ok = await original(hash, password, place)
    if (!paused) {
      paused = true
      markEntered()
      await gate
    }
    return ok
  }
  return {
    entered,
    release: () => {
      hasher.verify = original
      open()
    },
  }
}

/** A Kysely plugin that holds the first auth_throttle query after an mfa_challenges delete until released. */
function pauseAfterChallengeSpent(): { plugin: KyselyPlugin; entered: Promise<void>; release: () => void } {
  let markEntered!: () => void
  let open!: () => void
  const entered = new Promise<void>((resolve) => (markEntered = resolve))
  const gate = new Promise<void>((resolve) => (open = resolve))
  let challengeDeleted = false
  let held: QueryId | undefined
  const tables = (node: OperationNode): string => JSON.stringify(node)
  const plugin: KyselyPlugin = {
    transformQuery: (args) => {
      const text = tables(args.node)
      if (args.node.kind === 'DeleteQueryNode' && text.includes('"mfa_challenges"')) challengeDeleted = true
      else if (challengeDeleted && held === undefined && text.includes('"auth_throttle"')) held = args.queryId
      return args.node
    },
    transformResult: async (args) => {
      if (held !== undefined && args.queryId === held) {
        markEntered()
        await gate
      }
      return args.result
    },
  }
  return { plugin, entered, release: () => open() }
}

describe('login racing a credential change', () => {
  const t = useTestApp({ env: { UNAUTHENTICATED_RATE_LIMIT_MAX: '10000' } })
  const extraApps: FastifyInstance[] = []
  afterAll(async () => {
    for (const app of extraApps) await app.close()
  })
  const me = (cookie: string) => t.app.inject({ method: 'GET', url: '/v1/me', headers: { cookie } })
  const liveSessions = async (email: string) =>
    Number(
      (
        await t.deps.db
          .selectFrom('sessions')
          .innerJoin('accounts', 'accounts.id', 'sessions.account_id')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .where('accounts.email', '=', email)
          .executeTakeFirstOrThrow()
      ).n,
    )

  /** Starts a login with the current password, runs `change` while its verify is paused, then finishes it. */
  async function raceLogin(email: string, change: () => Promise<void>) {
    const pause = pauseNextVerify(t)
    const racing = login(t, email, STRONG_PASSWORD)
    await pause.entered
    try {
      await change()
    } finally {
      pause.release()
    }
    return racing
  }

  async function expectNoLiveSessionFrom(res: Awaited<ReturnType<typeof login>>) {
    const cookie = res.cookies.find((c) => c.name === '__Host-session')?.value
    if (cookie) expect((await me(`__Host-session=${cookie}`)).statusCode).toBe(401)
    expect(res.statusCode).not.toBe(200)
  }

  it('a login whose password check straddles a password change leaves no live session', async () => {
    const owner = await signUpAndLogin(t, 'race1@example.test')
    let rotated = ''
    const res = await raceLogin('race1@example.test', async () => {
      const changed = await t.app.inject({
        method: 'POST',
        url: '/v1/me/password',
        headers: { cookie: owner },
        payload: { currentPassword: STRONG_PASSWORD, newPassword: NEW_PASSWORD },
      })
      expect(changed.statusCode).toBe(204)
      rotated = changed.cookies.find((c) => c.name === '__Host-session')?.value ?? ''
    })
    await expectNoLiveSessionFrom(res)
    expect(await liveSessions('race1@example.test')).toBe(rotated === '' ? 0 : 1) // only the changer's own session
  })

  it('a login whose password check straddles a password reset leaves no live session', async () => {
    await signUpAndLogin(t, 'race2@example.test')
    await t.app.inject({ method: 'POST', url: '/v1/auth/password-reset', payload: { email: 'race2@example.test' } })
    const token = await tokenFromMail(t, 'race2@example.test', 'reset-password')
    const res = await raceLogin('race2@example.test', async () => {
      const reset = await t.app.inject({ method: 'POST', url: '/v1/auth/password-reset/confirm', payload: { token, newPassword: NEW_PASSWORD } })
      expect(reset.statusCode).toBe(204)
    })
    await expectNoLiveSessionFrom(res)
    expect(await liveSessions('race2@example.test')).toBe(0)
  })

  it('a login whose password check straddles the compromise flag leaves no live session', async () => {
    await signUpAndLogin(t, 'race3@example.test')
    const id = await accountIdOf(t, 'race3@example.test')
    const res = await raceLogin('race3@example.test', async () => {
      expect(await requirePasswordChange(t.deps, id, 'operator', null)).toBe(true)
    })
    await expectNoLiveSessionFrom(res)
    expect(await liveSessions('race3@example.test')).toBe(0)
  })

  it('a rehash on login does not write the old password over one changed during the verify', async () => {
    const owner = await signUpAndLogin(t, 'race4@example.test')
    // A hash made under older (stronger) parameters, so the next login wants to rehash it.
    const older = new PasswordHasher({ memoryKiB: 19_456, iterations: 3, parallelism: 1 }, 1, 4)
    await t.deps.db
      .updateTable('accounts')
      .set({ password_hash: await older.hash(STRONG_PASSWORD) })
      .where('email', '=', 'race4@example.test')
      .execute()
    await raceLogin('race4@example.test', async () => {
      const changed = await t.app.inject({
        method: 'POST',
        url: '/v1/me/password',
        headers: { cookie: owner },
        payload: { currentPassword: STRONG_PASSWORD, newPassword: NEW_PASSWORD },
      })
      expect(changed.statusCode).toBe(204)
    })
    expect((await login(t, 'race4@example.test', NEW_PASSWORD)).statusCode).toBe(200)
    expect((await login(t, 'race4@example.test', STRONG_PASSWORD)).statusCode).toBe(401)
  })

  it('a second-factor step straddling a password reset leaves no live session', async () => {
    // Pause the MFA step after its code was spent (the pending login is gone, committed) and before
    // the session is issued: the first auth_throttle write after the mfa_challenges delete waits.
    const gate = pauseAfterChallengeSpent()
    const app = await buildApp({ ...t.deps, db: t.deps.db.withPlugin(gate.plugin) })
    extraApps.push(app)
    await app.ready()
    const cookie = await signUpAndLogin(t, 'race6@example.test')
    const enrol = await t.app.inject({ method: 'POST', url: '/v1/me/mfa/totp', headers: { cookie }, payload: { password: STRONG_PASSWORD } })
    const secret = enrol.json().secret as string
    await t.app.inject({ method: 'POST', url: '/v1/me/mfa/totp/confirm', headers: { cookie }, payload: { code: await referenceTotp(secret, t.clock.now()) } })
    const pending = sessionCookieFrom(await login(t, 'race6@example.test'), '__Host-mfa-pending')
    await t.app.inject({ method: 'POST', url: '/v1/auth/password-reset', payload: { email: 'race6@example.test' } })
    const resetToken = await tokenFromMail(t, 'race6@example.test', 'reset-password')
    t.clock.advance(30)

    const racing = app.inject({
      method: 'POST',
      url: '/v1/auth/login/mfa',
      headers: { cookie: pending },
      payload: { code: await referenceTotp(secret, t.clock.now()) },
    })
    await gate.entered
    try {
      const reset = await t.app.inject({ method: 'POST', url: '/v1/auth/password-reset/confirm', payload: { token: resetToken, newPassword: NEW_PASSWORD } })
      expect(reset.statusCode).toBe(204)
    } finally {
      gate.release()
    }
    await expectNoLiveSessionFrom(await racing)
    expect(await liveSessions('race6@example.test')).toBe(0)
  })

  it('a login that is not raced still signs in (the version check lets it through)', async () => {
    await signUpAndLogin(t, 'race5@example.test')
    const res = await login(t, 'race5@example.test')
    expect(res.statusCode).toBe(200)
    expect((await me(sessionCookieFrom(res))).statusCode).toBe(200)
  })
})
