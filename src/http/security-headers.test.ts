import helmet from '@fastify/helmet'
import Fastify from 'fastify'
import { describe, expect, it } from 'vitest'
import { HELMET_OPTIONS, SECURITY_HEADERS, securityHeaders } from './security-headers.js'

const normaliseCsp = (csp: string): string =>
  csp
    .split(';')
    .map((d) => d.trim())
    .filter(Boolean)
    .join('; ')

describe('static security headers', () => {
  it('sets every header @fastify/helmet sets with our options, with the same values, and the expected policy', async () => {
    const withHelmet = Fastify()
    await withHelmet.register(helmet, HELMET_OPTIONS)
    withHelmet.get('/', async () => ({ ok: true }))
    const ours = Fastify()
    await ours.register(securityHeaders)
    ours.get('/', async () => ({ ok: true }))
    const a = (await withHelmet.inject({ method: 'GET', url: '/' })).headers
    const b = (await ours.inject({ method: 'GET', url: '/' })).headers
    // Ours adds cache-control and permissions-policy (tested below) to helmet's set.
    const transport = new Set(['content-type', 'content-length', 'date', 'connection', 'keep-alive', 'x-request-id', 'cache-control', 'permissions-policy'])
    const helmetSet = Object.fromEntries(Object.entries(a).filter(([k]) => !transport.has(k)))
    const ourSet = Object.fromEntries(Object.entries(b).filter(([k]) => !transport.has(k)))
    expect(Object.keys(ourSet).sort()).toEqual(Object.keys(helmetSet).sort())
    for (const [name, value] of Object.entries(helmetSet)) {
      expect(name === 'content-security-policy' ? normaliseCsp(String(ourSet[name])) : ourSet[name]).toBe(
        name === 'content-security-policy' ? normaliseCsp(String(value)) : value,
      )
    }
    expect(b['cache-control']).toBe('no-store')
    expect(b['x-request-id']).toBeDefined()
    expect(Object.isFrozen(SECURITY_HEADERS)).toBe(true)
    // The policy itself, so a change of helmet's defaults cannot loosen it unseen.
    expect(SECURITY_HEADERS).toMatchObject({
      'content-security-policy': "default-src 'none';frame-ancestors 'none';base-uri 'none';form-action 'none'",
      'strict-transport-security': 'max-age=31536000; includeSubDomains',
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-resource-policy': 'same-origin',
      'x-xss-protection': '0',
    })
    expect(SECURITY_HEADERS['x-powered-by']).toBeUndefined()
    await withHelmet.close()
    await ours.close()
  })

  it('lets a route set its own value, and keeps the headers on errors', async () => {
    const app = Fastify()
    await app.register(securityHeaders)
    app.get('/cached', async (_request, reply) => reply.header('cache-control', 'max-age=60').send({ ok: true }))
    app.get('/boom', async () => {
      throw new Error('boom')
    })
    expect((await app.inject({ method: 'GET', url: '/cached' })).headers['cache-control']).toBe('max-age=60')
    const boom = await app.inject({ method: 'GET', url: '/boom' })
    expect(boom.statusCode).toBe(500)
    expect(boom.headers['x-frame-options']).toBe('DENY')
    expect(boom.headers['cache-control']).toBe('no-store')
    await app.close()
  })

  it('turns off the powerful browser features nothing here uses (Permissions-Policy), leaving WebAuthn to the page', () => {
    // Found by a scan: header graders (securityheaders.com) mark its absence. WebAuthn's features
    // default to 'self', so the passkey pages keep them.
    const policy = SECURITY_HEADERS['permissions-policy'] ?? ''
    for (const feature of ['camera', 'microphone', 'geolocation', 'payment', 'usb']) expect(policy).toContain(`${feature}=()`)
    expect(policy).not.toContain('publickey-credentials')
  })
})
