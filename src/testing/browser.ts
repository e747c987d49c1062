// Real-browser tests: a built app listening on an ephemeral 127.0.0.1 port (PUBLIC_ORIGIN
// http://localhost:<port>, which Chromium treats as a secure context, so `__Host-` cookies and
// WebAuthn work over plain http) and Debian's headless Chromium driven by playwright-core, with the
// DevTools virtual authenticator standing in for a platform passkey. Skipped when Chromium is absent.
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { type BrowserContext, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll } from 'vitest'
import { freePort } from './ports.js'
import { startTestApp, type TestApp } from './test-app.js'

export const CHROMIUM_PATH = '/usr/bin/chromium'
export const HAS_CHROMIUM = existsSync(CHROMIUM_PATH)
export const NO_CHROMIUM_MESSAGE = `browser tests skipped: ${CHROMIUM_PATH} is absent (apt-get install chromium; .ci/run installs it as a best effort)`

const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

export interface BrowserHarness extends TestApp {
  origin: string
  context: BrowserContext
  page: Page
  /** Console errors and uncaught exceptions of the page (a CSP violation shows up here). */
  pageErrors: string[]
}

/** beforeAll/afterAll: a listening app and a fresh Chromium profile; filled in before the first test. */
export function useBrowserApp(env: Record<string, string> = {}): BrowserHarness {
  const holder = {} as BrowserHarness
  let userDataDir = ''
  beforeAll(async () => {
    if (!HAS_CHROMIUM) return
    const port = await freePort()
    const origin = `http://localhost:${port}`
    const t = await startTestApp({ env: { PUBLIC_ORIGIN: origin, SERVE_PAGES: 'true', ...env } })
    await t.app.listen({ host: '127.0.0.1', port })
    userDataDir = await mkdtemp(path.join(tmpdir(), 'sss-chromium-'))
    const context = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_FLAGS })
    const page = context.pages()[0] ?? (await context.newPage())
    const pageErrors: string[] = []
    page.on('console', (message) => {
      // A 401 from GET /v1/me while signed out (and the favicon's 404) are expected answers, not errors.
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) pageErrors.push(message.text())
    })
    page.on('pageerror', (error) => pageErrors.push(error.message))
    Object.assign(holder, t, { origin, context, page, pageErrors })
  }, 120_000)
  afterAll(async () => {
    await holder.context?.close()
    await holder.app?.close()
    await holder.testDb?.drop()
    if (userDataDir) await rm(userDataDir, { recursive: true, force: true })
  })
  return holder
}

/** Adds a DevTools virtual authenticator (CTAP2, internal, resident keys, user verified) to the page. */
export async function addVirtualAuthenticator(context: BrowserContext, page: Page): Promise<{ credentials(): Promise<unknown[]> }> {
  const cdp = await context.newCDPSession(page)
  await cdp.send('WebAuthn.enable')
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  })
  return { credentials: async () => (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials }
}
