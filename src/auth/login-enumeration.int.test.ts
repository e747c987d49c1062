import { describe, expect, it } from 'vitest'
import { countVerifies, login, mailsTo, register, signUpAndLogin } from '../testing/factories.js'
import { useTestApp } from '../testing/test-app.js'

describe('no account enumeration', () => {
  const t = useTestApp()

  it('answers an unknown email exactly like a wrong password', async () => {
    await signUpAndLogin(t, 'ana@example.test')
    const wrong = await login(t, 'ana@example.test', 'not the password at all')
    const unknown = await login(t, 'nobody@example.test', 'not the password at all')
    expect(wrong.statusCode).toBe(401)
    expect(unknown.statusCode).toBe(401)
    expect(unknown.json()).toEqual(wrong.json())
    expect(unknown.json()).toEqual({ error: 'invalid_credentials', message: 'Email or password is incorrect' })
  })

  it('verifies a dummy hash for an unknown email (similar work, so similar time)', async () => {
    const verifies = await countVerifies(t, async () => {
      await login(t, 'ghost@example.test', 'not the password at all')
    })
    expect(verifies).toBe(1)
  })

  it('answers a taken email exactly like a new one, and mails the owner a notice instead', async () => {
    await signUpAndLogin(t, 'taken@example.test')
    const again = await register(t, 'TAKEN@example.test')
    const fresh = await register(t, 'fresh@example.test')
    expect(again.statusCode).toBe(fresh.statusCode)
    expect(again.json()).toEqual(fresh.json())
    const subjects = (await mailsTo(t, 'taken@example.test')).map((m) => m.subject)
    expect(subjects.at(-1)).toMatch(/Sign-up attempt/)
    expect(subjects.filter((x) => /Confirm your email/.test(x))).toHaveLength(1)
    const count = await t.deps.db
      .selectFrom('accounts')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('email', 'ilike', 'taken@example.test')
      .executeTakeFirstOrThrow()
    expect(count.n).toBe(1)
  })

  it('sends an owner who never verified a set-password link instead, at most 3 unsolicited mails an hour', async () => {
    await register(t, 'slow@example.test')
    for (let i = 0; i < 5; i += 1) expect((await register(t, 'slow@example.test')).statusCode).toBe(202)
    const subjects = (await mailsTo(t, 'slow@example.test')).map((m) => m.subject)
    expect(subjects).toHaveLength(4) // the first link + 3 within the quota
    expect(subjects[0]).toMatch(/Confirm your email/)
    expect(subjects.slice(1).every((s) => /Choose your .* password/.test(s))).toBe(true)
  })

  it('answers 202 to a password reset for any email', async () => {
    const known = await t.app.inject({ method: 'POST', url: '/v1/auth/password-reset', payload: { email: 'ana@example.test' } })
    const unknown = await t.app.inject({ method: 'POST', url: '/v1/auth/password-reset', payload: { email: 'nobody@example.test' } })
    expect(known.statusCode).toBe(202)
    expect(unknown.statusCode).toBe(202)
    expect(unknown.json()).toEqual(known.json())
    expect(await mailsTo(t, 'nobody@example.test')).toEqual([])
  })
})
