// Router-level errors must look like every other error: same security headers, the error model,
// a request id. Fastify answers them before any hook runs, so they need their own handler.
import { describe, expect, it } from 'vitest'
import { useTestApp } from '../testing/test-app.js'
import { SECURITY_HEADERS } from './security-headers.js'

const VARIABLE = new Set(['x-request-id', 'date', 'content-length', 'connection', 'content-type'])

describe('router-level errors', () => {
  const t = useTestApp()

  it('answers a malformed URL escape with the error model and every security header', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/%E0%A4%A' })
    expect(res.statusCode).toBe(400)
    expect(res.json()).toEqual({ error: 'bad_request', message: 'The request is malformed' })
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/)
    expect(res.headers).toMatchObject(SECURITY_HEADERS)
    expect(res.body).not.toContain('FST_')
  })

  it('answers an over-long route parameter with 414 and every security header', async () => {
    const res = await t.app.inject({ method: 'DELETE', url: `/v1/sessions/${'a'.repeat(300)}` })
    expect(res.statusCode).toBe(414)
    expect(res.json()).toEqual({ error: 'uri_too_long', message: 'The URL is too long' })
    expect(res.headers).toMatchObject(SECURITY_HEADERS)
  })

  it('sends the same security headers as the security-headers plugin on an ordinary 404', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/no-such-route' })
    const fromPlugin = Object.fromEntries(
      Object.entries(res.headers)
        .filter(([k]) => !VARIABLE.has(k) && !k.startsWith('x-ratelimit-'))
        .map(([k, v]) => [k, String(v)]),
    )
    expect(SECURITY_HEADERS).toEqual(fromPlugin)
  })
})
