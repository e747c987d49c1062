import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { runHousekeeping, runHousekeepingOnce } from './housekeeping.js'
import { login, signedIn } from './testing/factories.js'
import { useTestApp } from './testing/test-app.js'

describe('housekeeping', () => {
  const t = useTestApp()
  const count = async (table: 'sessions' | 'api_tokens' | 'auth_throttle') =>
    (
      await t.deps.db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
    ).n

  it('removes expired sessions, old throttle windows and long-dead API tokens, and nothing live', async () => {
    const cookie = await signedIn(t, 'tidy@example.test')
    await t.app.inject({ method: 'POST', url: '/v1/tokens', headers: { cookie }, payload: { name: 'short', scopes: ['account:read'], expiresInDays: 1 } })
    await login(t, 'tidy@example.test', 'a wrong password for the counter')
    await runHousekeeping(t.deps)
    expect([await count('sessions'), await count('api_tokens'), await count('auth_throttle')]).toEqual([1, 1, 2]) // the failure counted per email and per address

    t.clock.advance(40 * 86_400)
    await runHousekeeping(t.deps)
    expect([await count('sessions'), await count('api_tokens'), await count('auth_throttle')]).toEqual([0, 0, 0])
  })

  it('runs on one instance at a time: a second run while one holds the lock skips', async () => {
    const runs = await Promise.all([runHousekeepingOnce(t.deps), runHousekeepingOnce(t.deps), runHousekeepingOnce(t.deps)])
    expect(runs.filter(Boolean).length).toBeGreaterThanOrEqual(1)
    // Held by hand: every run skips until it is released.
    let release: () => void = () => undefined
    let acquired: () => void = () => undefined
    const locked = new Promise<void>((r) => (acquired = r))
    const held = t.deps.db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(7342101)`.execute(trx)
      acquired()
      await new Promise<void>((r) => (release = r))
    })
    await locked
    expect(await runHousekeepingOnce(t.deps)).toBe(false)
    release()
    await held
    expect(await runHousekeepingOnce(t.deps)).toBe(true)
  })
})
