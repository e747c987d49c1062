// The reference pages: each is HTML plus one same-origin script under a CSP with no inline script
// or style; the switch turns them off; the scripts keep tokens out of URLs and storage.
import { readdirSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../config/config.js'
import { TEST_ENV } from '../testing/test-config.js'
import { useTestApp } from '../testing/test-app.js'
import { PAGE_CSP, PAGES } from './pages.routes.js'

const STATIC = new URL('./static/', import.meta.url)

describe('GET the reference pages', () => {
  const t = useTestApp()

  it('serves each page as HTML with a strict CSP and exactly one same-origin script', async () => {
    expect(PAGE_CSP).not.toContain('unsafe')
    expect(PAGE_CSP).toContain("script-src 'self'")
    for (const page of PAGES) {
      const res = await t.app.inject({ method: 'GET', url: `/${page}` })
      expect(res.statusCode).toBe(200)
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8')
      expect(res.headers['content-security-policy']).toBe(PAGE_CSP)
      expect(res.headers['x-frame-options']).toBe('DENY')
      expect(res.headers['referrer-policy']).toBe('no-referrer')
      const scripts = [...res.body.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)]
      expect(scripts).toHaveLength(1)
      expect(scripts[0]![1]).toContain(`src="/pages/${page}.js"`)
      expect(scripts[0]![2]!.trim()).toBe('')
      expect(res.body).not.toMatch(/<style\b|\sstyle=|\son[a-z]+=|javascript:/i)

      const script = await t.app.inject({ method: 'GET', url: `/pages/${page}.js` })
      expect(script.statusCode).toBe(200)
      expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8')
      expect(script.headers['content-security-policy']).toBe(PAGE_CSP)
    }
    const css = await t.app.inject({ method: 'GET', url: '/pages/pages.css' })
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8')
  })

  it('serves nothing else from the pages folder', async () => {
    for (const url of ['/pages/', '/pages/../app.ts', '/pages/pages.routes.ts', '/pages/account.html', '/pages/%2e%2e/app.ts']) {
      expect((await t.app.inject({ method: 'GET', url })).statusCode).toBe(404)
    }
  })

  it('keeps tokens out of URLs, storage and markup in every page script', () => {
    for (const file of readdirSync(STATIC).filter((f) => f.endsWith('.js'))) {
      const source = readFileSync(new URL(file, STATIC), 'utf8')
      expect(source, file).not.toMatch(/localStorage|sessionStorage|indexedDB|document\.cookie|innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(/)
      // fetch targets are fixed paths: never a query string.
      for (const m of source.matchAll(/fetch\(\s*([^,)]+)/g)) expect(m[1], file).not.toMatch(/\?/)
      if (source.includes("get('token')")) expect(source, file).toContain("history.replaceState(null, '', location.pathname)")
    }
  })
})

describe('SERVE_PAGES', () => {
  const t = useTestApp({ env: { SERVE_PAGES: 'false' } })

  it('turns the pages off, and is off by default in production', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/account' })).statusCode).toBe(404)
    expect((await t.app.inject({ method: 'GET', url: '/pages/account.js' })).statusCode).toBe(404)
    const production = await loadConfig({
      ...TEST_ENV,
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://app@db/app',
      PUBLIC_ORIGIN: 'https://app.example.com',
    })
    expect(production.http.servePages).toBe(false)
    expect((await loadConfig({ ...TEST_ENV, NODE_ENV: 'development' })).http.servePages).toBe(true)
  })
})
