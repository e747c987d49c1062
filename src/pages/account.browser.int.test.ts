// In a real browser (headless Chromium, DevTools virtual authenticator): the /account page signs in
// with a password, adds a passkey, signs out and signs back in with the passkey alone; and the
// /reset-password page completes a reset from the mailed link. Skipped without /usr/bin/chromium.
import { describe, expect, it } from 'vitest'
import { login, signUpAndLogin, STRONG_PASSWORD, tokenFromMail } from '../testing/factories.js'
import { addVirtualAuthenticator, HAS_CHROMIUM, NO_CHROMIUM_MESSAGE, useBrowserApp } from '../testing/browser.js'

if (!HAS_CHROMIUM) console.warn(NO_CHROMIUM_MESSAGE)

describe.skipIf(!HAS_CHROMIUM)('reference pages in Chromium', () => {
  const b = useBrowserApp()

  it('signs in on /account, adds a passkey, signs out, and signs in with the passkey', { timeout: 90_000 }, async () => {
    const email = 'browser-passkey@example.test'
    await signUpAndLogin(b, email)
    const { page, context } = b
    const authenticator = await addVirtualAuthenticator(context, page)

    await page.goto(`${b.origin}/account`)
    await page.fill('#login-email', email)
    await page.fill('#login-password', STRONG_PASSWORD)
    await page.click('#login-form button[type=submit]')
    await expect.poll(() => page.textContent('#me-email')).toBe(email)

    await page.fill('#reauth-password', STRONG_PASSWORD)
    await page.fill('#passkey-name', 'Virtual authenticator')
    await page.click('#passkey-add-form button[type=submit]')
    await expect.poll(() => page.textContent('#status')).toBe('Passkey "Virtual authenticator" added.')
    await expect.poll(() => page.locator('#passkeys li').count()).toBe(1)
    expect(await authenticator.credentials()).toHaveLength(1)

    await page.click('#logout')
    await expect.poll(() => page.isVisible('#passkey-login')).toBe(true)
    expect((await context.cookies()).find((c) => c.name === '__Host-session')).toBeUndefined()

    await page.click('#passkey-login')
    await expect.poll(() => page.textContent('#status')).toBe('Signed in with your passkey.')
    expect(await page.textContent('#me-email')).toBe(email)
    const session = (await context.cookies()).find((c) => c.name === '__Host-session')
    expect(session).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Lax' })
    const signedIn = await b.deps.db.selectFrom('security_events').select('details').where('type', '=', 'login.succeeded').orderBy('id', 'desc').executeTakeFirstOrThrow()
    expect(signedIn.details).toEqual({ factors: 'passkey' })
    // The page ran under its CSP without a single violation or script error.
    expect(b.pageErrors).toEqual([])
  })

  it('walks a password reset from the mailed link on /reset-password', { timeout: 90_000 }, async () => {
    const email = 'browser-reset@example.test'
    await signUpAndLogin(b, email)
    const asked = await b.app.inject({ method: 'POST', url: '/v1/auth/password-reset', payload: { email } })
    expect(asked.statusCode).toBe(202)
    const token = await tokenFromMail(b, email, 'reset-password')
    const { page } = b

    await page.goto(`${b.origin}/reset-password#token=${token}`)
    await expect.poll(() => page.isVisible('#reset-form')).toBe(true)
    // The token left the address bar (and so the history) as soon as the page read it.
    expect(page.url()).toBe(`${b.origin}/reset-password`)
    const newPassword = 'a brand new passphrase for the browser test'
    await page.fill('#new-password', newPassword)
    await page.fill('#repeat-password', newPassword)
    await page.click('#reset-form button[type=submit]')
    await expect.poll(() => page.textContent('#status')).toContain('Your password was changed')

    expect((await login(b, email, newPassword)).statusCode).toBe(200)
    expect((await login(b, email, STRONG_PASSWORD)).statusCode).toBe(401)
    expect(b.pageErrors).toEqual([])
  })
})
