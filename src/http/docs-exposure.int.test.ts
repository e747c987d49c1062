// API documentation is served only where it is meant to be (ASVS 5.0 V13.4.5): with EXPOSE_DOCS off
// (the production default), neither the OpenAPI document nor its page answers, and the root no
// longer points at them. Outside production both are on.
import { describe, expect, it } from 'vitest'
import { useTestApp } from '../testing/test-app.js'

describe('API documentation off', () => {
  const t = useTestApp({ env: { EXPOSE_DOCS: 'false' } })

  it('answers 404 for /openapi.json and /docs, and the root names no docs', async () => {
    for (const url of ['/openapi.json', '/docs', '/docs/json', '/docs/static/index.html']) {
      const res = await t.app.inject({ method: 'GET', url })
      expect(res.statusCode, url).toBe(404)
      expect(res.json()).toMatchObject({ error: 'not_found' })
    }
    const root = await t.app.inject({ method: 'GET', url: '/' })
    expect(root.statusCode).toBe(200)
    expect(root.json()).not.toHaveProperty('docs')
  })
})

describe('API documentation on', () => {
  const t = useTestApp({ env: { EXPOSE_DOCS: 'true' } })

  it('serves the document and its page, and the root points at the page', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/openapi.json' })).json()).toMatchObject({ openapi: '3.1.0' })
    expect((await t.app.inject({ method: 'GET', url: '/docs/json' })).json()).toMatchObject({ openapi: '3.1.0' })
    expect((await t.app.inject({ method: 'GET', url: '/' })).json()).toMatchObject({ docs: '/docs' })
  })
})
