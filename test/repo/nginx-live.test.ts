// infra/nginx/nginx.conf run for real: a throw-away nginx started from the file (a self-signed
// certificate, two stub upstreams in place of two app instances, the rate lowered to 1 request a
// minute, and realip so the test can speak from any address) must answer its own errors in the app's
// JSON shape with the security headers (a URI it cannot parse included), send Retry-After on 429,
// count an IPv6 /64 as one client, and keep serving while the instances restart one after the other.
// Skipped, with the reason, where nginx is not installed (.ci/run installs nginx-light).
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { request as httpsRequest } from 'node:https'
import { createServer, type Server } from 'node:http'
import { connect as netConnect } from 'node:net'
import { connect as tlsConnect } from 'node:tls'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort } from '../../src/testing/ports.js'

const run = promisify(execFile)

function nginxInstalled(): boolean {
  try {
    execFileSync('sh', ['-c', 'command -v nginx'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

const installed = nginxInstalled()

describe.skipIf(!installed)(`infra/nginx/nginx.conf, running${installed ? '' : ' [skipped: nginx is not installed here]'}`, () => {
  let dir: string
  let nginx: ChildProcess
  /** Two app instances: the same stub on two ports (one `server` line each, with the config's parameters). */
  const stubs: { server: Server; port: number }[] = []
  /** What reached the stubs: "METHOD /path" per request. */
  const seen: string[] = []
  let port: number

  function send(opts: { path?: string; method?: string; from: string; body?: string; headers?: Record<string, string> }): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const req = httpsRequest(
        {
          host: '127.0.0.1',
          port,
          path: opts.path ?? '/',
          method: opts.method ?? 'GET',
          rejectUnauthorized: false,
          headers: { 'x-forwarded-for': opts.from, ...opts.headers },
        },
        (res) => {
          let body = ''
          res.setEncoding('utf8')
          res.on('data', (c: string) => (body += c))
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
        },
      )
      req.on('error', reject)
      if (opts.body !== undefined) req.write(opts.body)
      req.end()
    })
  }

  function expectNginxJsonError(answer: Answer, status: number, code: string): void {
    expect(answer.status).toBe(status)
    expect(answer.headers['content-type']).toBe('application/json')
    expect(JSON.parse(answer.body)).toEqual({ error: code, message: expect.any(String) })
    expect(answer.headers['strict-transport-security']).toBe('max-age=63072000; includeSubDomains; preload')
    expect(answer.headers['content-security-policy']).toMatch(/^default-src 'none'; frame-ancestors 'none'/)
    expect(answer.headers['x-content-type-options']).toBe('nosniff')
    expect(answer.headers['x-frame-options']).toBe('DENY')
    expect(answer.headers['referrer-policy']).toBe('no-referrer')
    expect(answer.headers['cache-control']).toBe('no-store')
    expect(answer.headers['server']).toBe('nginx')
  }

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sss-nginx-live-'))
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-keyout',
      path.join(dir, 'privkey.pem'),
      '-out',
      path.join(dir, 'fullchain.pem'),
    ])
    await writeFile(path.join(dir, 'chain.pem'), await readFile(path.join(dir, 'fullchain.pem')))
    // The stub app: 200 with the headers the real app sets; /_drop closes the socket (nginx: 502).
    for (let i = 0; i < 2; i += 1) {
      const server = createServer((req, res) => {
        seen.push(`${req.method} ${req.url}`)
        if (req.url === '/_drop') {
          req.socket.destroy()
          return
        }
        res.writeHead(200, {
          'content-type': 'application/json',
          'x-content-type-options': 'nosniff',
          'strict-transport-security': 'max-age=1',
          'x-powered-by': 'stub',
        })
        res.end(JSON.stringify({ ip: req.headers['x-forwarded-for'] }))
      })
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
      stubs.push({ server, port: (server.address() as { port: number }).port })
    }
    port = await freePort()
    const original = await readFile(path.resolve('infra/nginx/nginx.conf'), 'utf8')
    const swaps: [string, string][] = [
      ['/etc/nginx/tls/', `${dir}/`],
      ['/var/log/nginx/', `${dir}/`],
      ['pid /run/nginx.pid;', `pid ${dir}/nginx.pid;\ndaemon off;\nmaster_process off;`],
      ['listen 443 ssl http2;', `listen 127.0.0.1:${port} ssl http2;`],
      ['listen [::]:443 ssl http2;', ''],
      ['rate=20r/s', 'rate=1r/m'],
      ['limit_req zone=per_ip burst=40 nodelay;', 'limit_req zone=per_ip nodelay;'],
      // Test only: believe the test's X-Forwarded-For, so it can speak from any address.
      ['http {', 'http {\n  set_real_ip_from 127.0.0.1;\n  real_ip_header X-Forwarded-For;'],
    ]
    // Both instances get the config's own server parameters (max_fails and the like).
    const serverLine = /^( *)server app:3000([^;\n]*);$/m.exec(original)
    expect(serverLine, 'nginx.conf no longer contains `server app:3000...;`').not.toBeNull()
    const [line, indent, params] = serverLine!
    let local = original.replace(line, stubs.map((stub) => `${indent}server 127.0.0.1:${stub.port}${params};`).join('\n'))
    for (const [from, to] of swaps) {
      expect(local, `nginx.conf no longer contains ${from}`).toContain(from)
      local = local.replaceAll(from, to)
    }
    const file = path.join(dir, 'nginx.conf')
    await writeFile(file, local)
    nginx = spawn('nginx', ['-p', dir, '-c', file, '-e', path.join(dir, 'error.log')], { stdio: ['ignore', 'ignore', 'pipe'] })
    nginx.stderr?.on('data', (c: Buffer) => process.stderr.write(c))
    for (let i = 0; i < 100; i += 1) {
      const up = await new Promise<boolean>((resolve) => {
        const socket = netConnect(port, '127.0.0.1', () => {
          socket.destroy()
          resolve(true)
        })
        socket.on('error', () => resolve(false))
      })
      if (up) break
      await new Promise((r) => setTimeout(r, 50))
    }
  })

  afterAll(async () => {
    nginx?.kill('SIGTERM')
    for (const stub of stubs) {
      stub.server.close()
      stub.server.closeAllConnections()
    }
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('proxies to the app with one HSTS header and the app’s own headers, and no X-Powered-By', async () => {
    const answer = await send({ from: '198.51.100.1' })
    expect(answer.status).toBe(200)
    expect(JSON.parse(answer.body)).toEqual({ ip: '198.51.100.1' })
    expect(answer.headers['strict-transport-security']).toBe('max-age=63072000; includeSubDomains; preload')
    expect(answer.headers['x-content-type-options']).toBe('nosniff')
    expect(answer.headers['x-powered-by']).toBeUndefined()
    expect(answer.headers['retry-after']).toBeUndefined()
  })

  it('answers 404 (/metrics) in JSON with the security headers', async () => {
    const answer = await send({ path: '/metrics', from: '198.51.100.2' })
    expectNginxJsonError(answer, 404, 'not_found')
    expect(answer.headers['retry-after']).toBeUndefined()
  })

  it('answers 413 in JSON with the security headers', async () => {
    const answer = await send({ method: 'POST', from: '198.51.100.3', body: 'x'.repeat(70 * 1024), headers: { 'content-type': 'application/json' } })
    expectNginxJsonError(answer, 413, 'payload_too_large')
  })

  it('answers 502 (the app dropped the connection) in JSON with the security headers', async () => {
    const answer = await send({ path: '/_drop', from: '198.51.100.4' })
    expectNginxJsonError(answer, 502, 'unavailable')
  })

  it('answers 400 (a malformed request, plain HTTP on the TLS port) in JSON with the security headers', async () => {
    const raw = (socketOpts: { tls: boolean }, payload: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = socketOpts.tls ? tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false }) : netConnect(port, '127.0.0.1')
        let data = ''
        socket.on(socketOpts.tls ? 'secureConnect' : 'connect', () => socket.write(payload))
        socket.setEncoding('utf8')
        socket.on('data', (c: string) => (data += c))
        socket.on('end', () => resolve(data))
        socket.on('error', reject)
      })
    for (const reply of [
      await raw({ tls: true }, 'GET / HTTP/1.1\r\nHost: localhost\r\nBroken header line\r\n\r\n'),
      await raw({ tls: false }, 'GET / HTTP/1.1\r\nHost: localhost\r\n\r\n'),
      // A URI nginx cannot decode, and a request line that is not one: nginx's URI is then empty,
      // which a named error location refused (HTML 500, "empty URI in redirect to named location").
      await raw({ tls: true }, 'GET /% HTTP/1.1\r\nHost: localhost\r\n\r\n'),
      await raw({ tls: true }, 'GET /a%zz HTTP/1.1\r\nHost: localhost\r\n\r\n'),
      await raw({ tls: true }, 'GET /\x01garbage{} HTTP/1.1\r\nHost: localhost\r\n\r\n'),
      await raw({ tls: true }, 'GE(T / HTTP/1.1\r\nHost: localhost\r\n\r\n'),
    ]) {
      expect(reply).toMatch(/^HTTP\/1\.1 400 /)
      expect(reply).toMatch(/\r\nContent-Type: application\/json\r\n/)
      expect(reply).toMatch(/\r\nContent-Security-Policy: default-src 'none'/)
      expect(reply).toMatch(/\r\nX-Content-Type-Options: nosniff\r\n/)
      expect(reply).toContain('{"error":"bad_request","message":')
    }
  })

  it('keeps serving while the two instances restart one after the other, never taking one out of rotation', async () => {
    const stop = (stub: { server: Server }) =>
      new Promise<void>((resolve) => {
        stub.server.close(() => resolve())
        stub.server.closeAllConnections() // nginx's idle keep-alive connections too, as a process exit would
      })
    const start = (stub: { server: Server; port: number }) =>
      new Promise<void>((resolve, reject) => {
        stub.server.once('error', reject)
        stub.server.listen(stub.port, '127.0.0.1', () => resolve())
      })
    let n = 0
    // Each request from an address of its own: the test's rate is one request a minute per client.
    const burst = async () => {
      const statuses: number[] = []
      for (let i = 0; i < 8; i += 1) {
        n += 1
        const method = i % 2 === 0 ? 'GET' : 'POST'
        statuses.push((await send({ path: '/rolling', method, from: `198.18.${n >> 8}.${n & 255}`, body: method === 'POST' ? '{}' : undefined })).status)
      }
      return statuses
    }
    const [a, b] = [stubs[0]!, stubs[1]!]
    await stop(a)
    expect(await burst()).toEqual(Array(8).fill(200))
    // The first instance is back (its /readyz answers): the second goes down at once.
    await start(a)
    await stop(b)
    expect(await burst()).toEqual(Array(8).fill(200))
    await start(b)
    expect(await burst()).toEqual(Array(8).fill(200))
  })

  it('tries the next instance for a GET that failed, never for a POST that reached the app', async () => {
    const count = (what: string) => seen.filter((s) => s === what).length
    const [gets, posts] = [count('GET /_drop'), count('POST /_drop')]
    expect((await send({ path: '/_drop', from: '198.19.0.1' })).status).toBe(502)
    expect(count('GET /_drop') - gets).toBe(2) // both instances
    expect((await send({ path: '/_drop', method: 'POST', from: '198.19.0.2', body: '{}' })).status).toBe(502)
    expect(count('POST /_drop') - posts).toBe(1) // sent once: it may have been applied
  })

  it('answers 429 in JSON with Retry-After and the security headers, and counts a whole IPv6 /64 as one client', async () => {
    expect((await send({ from: '2001:db8:1:2::1' })).status).toBe(200)
    // Another address in the same /64: the same host, the same bucket.
    const limited = await send({ from: '2001:db8:1:2:ffff:ffff:ffff:fffe' })
    expectNginxJsonError(limited, 429, 'rate_limited')
    expect(limited.headers['retry-after']).toBe('1')
    // The next /64 is someone else.
    expect((await send({ from: '2001:db8:1:3::1' })).status).toBe(200)
  })

  it('keys IPv4 clients by their whole address', async () => {
    expect((await send({ from: '192.0.2.1' })).status).toBe(200)
    expect((await send({ from: '192.0.2.2' })).status).toBe(200)
    expect((await send({ from: '192.0.2.1' })).status).toBe(429)
  })
})
