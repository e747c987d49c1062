import { describe, expect, it } from 'vitest'
import { runHousekeeping } from './housekeeping.js'
import { login, signUpAndLogin } from './testing/factories.js'
import { useTestApp } from './testing/test-app.js'

describe('housekeeping', () => {
  const t = useTestApp()
  const count = async (table: 'sessions' | 'api_tokens' | 'auth_throttle') =>
    (await t.deps.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n

  it('removes expired sessions, old throttle windows and long-dead API tokens, and nothing live', async () => {
    const cookie = await signUpAndLogin(t, 'tidy@example.test')
    await t.app.inject({ method: 'POST', url: '/v1/tokens', headers: { cookie }, payload: { name: 'short', scopes: ['account:read'], expiresInDays: 1 } })
    await login(t, 'tidy@example.test', 'a wrong password for the counter')
    await runHousekeeping(t.deps)
    expect([await count('sessions'), await count('api_tokens'), await count('auth_throttle')]).toEqual([1, 1, 2]) // the failure counted per email and per address

    t.clock.advance(40 * 86_400)
    await runHousekeeping(t.deps)
    expect([await count('sessions'), await count('api_tokens'), await count('auth_throttle')]).toEqual([0, 0, 0])
  })
})
