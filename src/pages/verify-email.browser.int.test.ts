// In a real browser: a new account verified from its mailed link on /verify-email, which asks for
// the password (API.md: POST /v1/auth/verify-email takes {token, password}). Until that change of
// the route is merged, the route refuses the password field and this test skips itself with a note.
import { describe, expect, it } from 'vitest'
import { login, register, STRONG_PASSWORD, tokenFromMail } from '../testing/factories.js'
import { HAS_CHROMIUM, NO_CHROMIUM_MESSAGE, useBrowserApp } from '../testing/browser.js'

if (!HAS_CHROMIUM) console.warn(NO_CHROMIUM_MESSAGE)

describe.skipIf(!HAS_CHROMIUM)('/verify-email in Chromium', () => {
  const b = useBrowserApp()

  it('verifies a new account from its mail link once the password is given', { timeout: 90_000 }, async (ctx) => {
    const probe = await b.app.inject({ method: 'POST', url: '/v1/auth/verify-email', payload: { token: 'A'.repeat(43), password: 'probe' } })
    if (probe.statusCode === 400 && probe.json().error === 'validation_failed') {
      ctx.skip('POST /v1/auth/verify-email does not take {token, password} yet (API.md); runs once that change is merged')
    }
    const email = 'browser-verify@example.test'
    expect((await register(b, email)).statusCode).toBe(202)
    expect((await login(b, email)).statusCode).toBe(403)
    const token = await tokenFromMail(b, email, 'verify-email')
    const { page } = b

    await page.goto(`${b.origin}/verify-email#token=${token}`)
    expect(page.url()).toBe(`${b.origin}/verify-email`)
    await page.fill('#password', 'not the password of this account')
    await page.click('#verify-form button[type=submit]')
    await expect.poll(() => page.textContent('#status')).toBe('That password is not correct.')
    await page.fill('#password', STRONG_PASSWORD)
    await page.click('#verify-form button[type=submit]')
    await expect.poll(() => page.textContent('#status')).toBe('Your email address is verified. You can sign in now.')

    expect((await login(b, email)).statusCode).toBe(200)
    expect(b.pageErrors).toEqual([])
  })
})
