// Router-level errors must look like every other error: same security headers, the error model,
// a request id. Fastify answers them before any hook runs, so they need their own handler.
import { connect } from 'node:net'
import type { AddressInfo } from 'node:net'
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

  /** Sends `request` on a raw socket to the listening app and reads the answer until the connection closes. */
  async function raw(request: string): Promise<{ status: number; headers: Record<string, string>; body: string }> {
    if (t.app.server.address() === null) await t.app.listen({ port: 0, host: '127.0.0.1' })
    const { port } = t.app.server.address() as AddressInfo
    const text = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => socket.end(request))
      let got = ''
      socket.on('data', (chunk) => (got += chunk.toString('latin1')))
      socket.on('close', () => resolve(got))
      socket.on('error', reject)
    })
    const [head = '', body = ''] = text.split('\r\n\r\n')
    const [statusLine = '', ...lines] = head.split('\r\n')
    const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]))
    return { status: Number(statusLine.split(' ')[1]), headers, body }
  }

  // Node's HTTP parser refuses these before Fastify sees a request (clientErrorHandler): found by a
  // scan, they answered Fastify's own text with no security header and no request id.
  describe('requests the HTTP parser refuses', () => {
    it.each([
      ['headers over the size limit', `GET /v1/me?x=${'a'.repeat(20_000)} HTTP/1.1\r\nhost: x\r\n\r\n`, 431, 'headers_too_large'],
      ['a header name with a space', 'GET / HTTP/1.1\r\nhost: x\r\nbad header: 1\r\n\r\n', 400, 'bad_request'],
      [
        'Content-Length beside Transfer-Encoding',
        'POST /v1/auth/login HTTP/1.1\r\nhost: x\r\ncontent-length: 4\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n',
        400,
        'bad_request',
      ],
    ])('answers %s in the error model, with every security header and a request id', async (_name, request, status, code) => {
      const res = await raw(request)
      expect(res.status).toBe(status)
      expect(JSON.parse(res.body)).toEqual({ error: code, message: expect.any(String) })
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8')
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/)
      expect(res.headers['connection']).toBe('close')
      expect(res.headers).toMatchObject(SECURITY_HEADERS)
    })
  })

  // Node answers these itself, outside Fastify, when the server has no listener for them: found by a
  // tester, an unmet Expect got a bare 417 and CONNECT a closed socket. inject() never reaches them.
  describe('requests Node answers outside Fastify', () => {
    function expectErrorModel(res: { headers: Record<string, string>; body: string }, code: string): void {
      expect(JSON.parse(res.body)).toEqual({ error: code, message: expect.any(String) })
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8')
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/)
      expect(res.headers).toMatchObject(SECURITY_HEADERS)
    }

    it('answers an Expect other than 100-continue with 417 expectation_failed, every security header and a request id', async () => {
      const res = await raw('POST /v1/auth/logout HTTP/1.1\r\nhost: x\r\nexpect: 200-ok\r\ncontent-length: 0\r\n\r\n')
      expect(res.status).toBe(417)
      expectErrorModel(res, 'expectation_failed')
      expect(res.headers['connection']).toBe('close')
    })

    it('answers CONNECT to a served path with 405 and the Allow any other unserved method gets there', async () => {
      const trace = await t.app.inject({ method: 'TRACE', url: '/v1/me' })
      const res = await raw('CONNECT /v1/me HTTP/1.1\r\nhost: x\r\n\r\n')
      expect(res.status).toBe(405)
      expectErrorModel(res, 'method_not_allowed')
      expect(res.headers['allow']).toBe(trace.headers['allow'])
      expect(res.headers['connection']).toBe('close')
    })

    it('answers CONNECT to another host with 404 not_found and opens no tunnel', async () => {
      const res = await raw('CONNECT example.com:443 HTTP/1.1\r\nhost: example.com:443\r\n\r\nGET / HTTP/1.1\r\nhost: example.com\r\n\r\n')
      expect(res.status).toBe(404)
      expectErrorModel(res, 'not_found')
      expect(res.headers['allow']).toBeUndefined()
      // One answer, then the connection closes: the bytes after the CONNECT are never read as a request.
      expect(res.body).toBe(JSON.stringify({ error: 'not_found', message: 'Not found' }))
    })
  })
})
