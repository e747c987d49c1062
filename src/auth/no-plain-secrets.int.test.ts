// After the account flows, a dump of every table must hold no password, session token,
// verification or reset token in plain form.
import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { login, sessionCookieFrom, signUpAndLogin, STRONG_PASSWORD, tokenFromMail } from '../testing/factories.js'
import { useTestApp } from '../testing/test-app.js'

describe('database dump', () => {
  const t = useTestApp()

  it('holds no password, session token or mail token in plain form', async () => {
    const secrets: string[] = [STRONG_PASSWORD]
    const email = 'dump@example.test'
    const cookie = await signUpAndLogin(t, email)
    secrets.push(cookie.split('=')[1]!)
    secrets.push(await tokenFromMail(t, email, 'verify-email'))
    secrets.push(sessionCookieFrom(await login(t, email)).split('=')[1]!)
    await t.app.inject({ method: 'POST', url: '/v1/auth/password-reset', payload: { email } })
    const reset = await tokenFromMail(t, email, 'reset-password')
    secrets.push(reset)
    const newPassword = 'second passphrase, quite unguessable 7'
    secrets.push(newPassword)
    expect((await t.app.inject({ method: 'POST', url: '/v1/auth/password-reset/confirm', payload: { token: reset, newPassword } })).statusCode).toBe(204)
    secrets.push(sessionCookieFrom(await login(t, email, newPassword)).split('=')[1]!)

    // Simulate delivery: a sent mail keeps no body, so its link is gone too.
    await t.deps.db.updateTable('email_outbox').set({ sent_at: new Date(), body_text: null }).execute()

    const tables = await sql<{ table_name: string }>`select table_name from information_schema.tables where table_schema = current_schema()`.execute(t.deps.db)
    let dump = ''
    for (const { table_name } of tables.rows) {
      const rows = await sql`select * from ${sql.table(table_name)}`.execute(t.deps.db)
      dump += JSON.stringify(rows.rows, (_k, v: unknown) => (v instanceof Buffer ? v.toString('hex') : v))
    }
    expect(dump.length).toBeGreaterThan(1000)
    for (const secret of secrets) {
      expect(dump).not.toContain(secret)
      expect(dump).not.toContain(Buffer.from(secret).toString('hex'))
    }
    expect(dump).toMatch(/\$argon2id\$v=19\$m=\d+,[pt]=\d+,[pt]=\d+\$/)
  })
})
