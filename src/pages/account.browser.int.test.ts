// In a real browser (headless Chromium, DevTools virtual authenticator): the /account page signs in
// with a password, adds a passkey, signs out and signs back in with the passkey alone; and the
// /reset-password page completes a reset from the mailed link; TOTP is enrolled and used there, and
// sessions are listed and ended. Skipped without /usr/bin/chromium.
import { describe, expect, it } from 'vitest'
import { login, sessionCookieFrom, signUpAndLogin, STRONG_PASSWORD, tokenFromMail } from '../testing/factories.js'
import { referenceTotp } from '../testing/totp-reference.js'
import { addVirtualAuthenticator, HAS_CHROMIUM, NO_CHROMIUM_MESSAGE, useBrowserApp } from '../testing/browser.js'

if (!HAS_CHROMIUM) console.warn(NO_CHROMIUM_MESSAGE)

describe.skipIf(!HAS_CHROMIUM)('reference pages in Chromium', () => {
  const b = useBrowserApp()

  it('signs in on /account, adds a passkey, signs out, signs in with the passkey, and removes it', { timeout: 90_000 }, async () => {
    const email = 'browser-passkey@example.test'
    await signUpAndLogin(b, email)
    const { page, context } = b
    // Signed out, whatever another test of this file left in the shared browser.
    await context.clearCookies()
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
    // A passkey is a second factor: the page does not call such an account's two-factor sign-in off.
    expect(await page.textContent('#me-mfa')).toBe('on (passkey)')

    await page.click('#logout')
    await expect.poll(() => page.isVisible('#passkey-login')).toBe(true)
    expect((await context.cookies()).find((c) => c.name === '__Host-session')).toBeUndefined()

    await page.click('#passkey-login')
    await expect.poll(() => page.textContent('#status')).toBe('Signed in with your passkey.')
    expect(await page.textContent('#me-email')).toBe(email)
    const session = (await context.cookies()).find((c) => c.name === '__Host-session')
    expect(session).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Lax' })
    const signedIn = await b.deps.db
      .selectFrom('security_events')
      .select('details')
      .where('type', '=', 'login.succeeded')
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow()
    expect(signedIn.details).toEqual({ factors: 'passkey' })

    // Removing it asks for the password again; then it signs in no more.
    await page.fill('#reauth-password', STRONG_PASSWORD)
    await page.click('#passkeys li button')
    await expect.poll(() => page.textContent('#status')).toBe('Passkey "Virtual authenticator" removed.')
    await expect.poll(() => page.locator('#passkeys li').count()).toBe(0)
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

    // The link followed in a tab already on the page (only the fragment changes, no load): found by
    // a scan, the token stayed in the address bar and the page kept asking for a mail.
    await page.goto(`${b.origin}/reset-password`)
    await page.evaluate(`location.hash = 'token=${token}'`)
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

  it('enrols TOTP on /account, then signs in with a code and with a recovery code, and ends other sessions', { timeout: 90_000 }, async () => {
    const email = 'browser-totp@example.test'
    await signUpAndLogin(b, email)
    const { page, context } = b
    await context.clearCookies()
    await page.goto(`${b.origin}/account`)
    await page.fill('#login-email', email)
    await page.fill('#login-password', STRONG_PASSWORD)
    await page.click('#login-form button[type=submit]')
    await expect.poll(() => page.textContent('#me-email')).toBe(email)

    await page.fill('#reauth-password', STRONG_PASSWORD)
    await page.click('#totp-start')
    await expect.poll(() => page.isVisible('#totp-enrol')).toBe(true)
    expect(await page.getAttribute('#totp-qr', 'src')).toMatch(/^data:image\/svg\+xml;base64,/)
    const secret = (await page.textContent('#totp-secret')) ?? ''
    await page.fill('#totp-code', await referenceTotp(secret, b.clock.now()))
    await page.click('#totp-confirm-form button[type=submit]')
    await expect.poll(() => page.textContent('#status')).toBe('Two-factor sign-in is on.')
    const codes = await page.locator('#recovery-codes li').allTextContents()
    expect(codes).toHaveLength(10)
    expect(await page.textContent('#me-mfa')).toBe('on')

    await page.click('#logout')
    await expect.poll(() => page.isVisible('#login-form')).toBe(true)
    // Signed out, the page keeps nothing of the account: not the address (a later check of it cannot
    // pass on stale text either), the password typed to re-authenticate, the TOTP key or the codes.
    expect(await page.textContent('#me-email')).toBe('')
    expect(await page.inputValue('#reauth-password')).toBe('')
    expect(await page.textContent('#totp-secret')).toBe('')
    expect(await page.locator('#recovery-codes li').count()).toBe(0)
    expect(await page.locator('#sessions li').count()).toBe(0)
    b.clock.advance(30)
    await page.fill('#login-email', email)
    await page.fill('#login-password', STRONG_PASSWORD)
    await page.click('#login-form button[type=submit]')
    await expect.poll(() => page.isVisible('#mfa-form')).toBe(true)
    await page.fill('#mfa-code', await referenceTotp(secret, b.clock.now()))
    await page.click('#mfa-form button[type=submit]')
    await expect.poll(() => page.textContent('#me-email')).toBe(email)

    await page.click('#logout')
    await expect.poll(() => page.isVisible('#login-form')).toBe(true)
    await page.fill('#login-email', email)
    await page.fill('#login-password', STRONG_PASSWORD)
    await page.click('#login-form button[type=submit]')
    await expect.poll(() => page.isVisible('#mfa-form')).toBe(true)
    await page.fill('#mfa-code', codes[0]!)
    await page.click('#mfa-form button[type=submit]')
    await expect.poll(() => page.textContent('#me-email')).toBe(email)

    // Another session of the account (made over the API) shows in the list and is ended from the page.
    b.clock.advance(30)
    const pending = sessionCookieFrom(await login(b, email), '__Host-mfa-pending')
    const other = await b.app.inject({ method: 'POST', url: '/v1/auth/login/mfa', headers: { cookie: pending }, payload: { code: codes[1] } })
    const otherCookie = sessionCookieFrom(other)
    // The reload's own answer is read, so a failure names its status instead of an empty list.
    const [listed] = await Promise.all([page.waitForResponse((r) => new URL(r.url()).pathname === '/v1/sessions'), page.reload()])
    expect(listed.status()).toBe(200)
    // This browser's, the factory's and the one just made.
    await expect.poll(() => page.locator('#sessions li').count()).toBe(3)
    await page.click('#sessions li button')
    await expect.poll(() => page.textContent('#status')).toBe('Session ended.')
    await expect.poll(() => page.locator('#sessions li').count()).toBe(2)
    await page.click('#sessions-end-others')
    await expect.poll(() => page.textContent('#status')).toBe('Every other session was signed out.')
    await expect.poll(() => page.locator('#sessions li').count()).toBe(1)
    expect((await b.app.inject({ method: 'GET', url: '/v1/me', headers: { cookie: otherCookie } })).statusCode).toBe(401)
    expect(await page.textContent('#me-email')).toBe(email)
    expect(b.pageErrors).toEqual([])
  })
})
