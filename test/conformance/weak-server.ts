// A deliberately weak API for the conformance kit's tests: the starter's routes, none of its
// controls. Every check of the kit must fail against it. Never copy anything from this file.
// Standalone: `npx tsx test/conformance/weak-server.ts 3116` listens on 127.0.0.1:3116.
import { randomBytes } from 'node:crypto'
import http from 'node:http'
import https from 'node:https'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { pathToFileURL } from 'node:url'

export const WEAK_ACCOUNT = { email: 'known@example.test', password: 'correct horse battery staple orbit' }

export interface WeakServer {
  url: string
  close(): Promise<void>
}

export interface WeakTls {
  key: string
  cert: string
  minVersion: 'TLSv1' | 'TLSv1.2'
}

export interface WeakOptions {
  port?: number
  tls?: WeakTls
  /** Answer every request 200 with the same HTML page and good headers, as a single-page app's
   * fallback does when the API is not behind the URL: no check can observe anything there. */
  catchAll?: boolean
}

const CATCH_ALL_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': "default-src 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
}

export async function startWeakServer(opts: WeakOptions = {}): Promise<WeakServer> {
  const accounts = new Map([[WEAK_ACCOUNT.email, WEAK_ACCOUNT.password]])
  const sessions = new Set<string>()

  const handler: http.RequestListener = (req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      void route(req, res, Buffer.concat(chunks).toString('utf8')).catch(() => res.end())
    })
  }

  async function route(req: http.IncomingMessage, res: http.ServerResponse, raw: string): Promise<void> {
    if (opts.catchAll) {
      res.writeHead(200, CATCH_ALL_HEADERS)
      res.end('<!doctype html><title>App</title><div id="root"></div>')
      return
    }
    // Banners with versions, and CORS that trusts whoever asks, credentials included.
    res.setHeader('x-powered-by', 'Express')
    res.setHeader('server', 'Apache/2.4.1 (Unix)')
    if (req.headers.origin) {
      res.setHeader('access-control-allow-origin', req.headers.origin)
      res.setHeader('access-control-allow-credentials', 'true')
    }
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers })
      res.end(JSON.stringify(body))
    }
    const url = req.url ?? '/'
    const sid = /(?:^|;\s*)sid=(\w+)/.exec(req.headers.cookie ?? '')?.[1]
    const key = `${req.method ?? ''} ${url}`
    if (req.method === 'TRACE') {
      res.writeHead(200, { 'content-type': 'message/http' })
      res.end(
        `TRACE ${url} HTTP/1.1\r\n${Object.entries(req.headers)
          .map(([k, v]) => `${k}: ${String(v)}`)
          .join('\r\n')}`,
      )
      return
    }
    if (req.method === 'OPTIONS') return json(204, {})
    let body: Record<string, string> = {}
    if (raw) {
      try {
        body = JSON.parse(raw) as Record<string, string>
      } catch (err) {
        return json(400, { error: (err as Error).message, stack: (err as Error).stack })
      }
    }
    switch (key) {
      case 'GET /':
        return json(200, { name: 'weak' })
      case 'GET /.well-known/security.txt':
        break
      case 'POST /v1/auth/register':
        if (accounts.has(body.email ?? '')) return json(409, { error: 'email_taken' })
        accounts.set(body.email ?? '', body.password ?? '')
        return json(201, { status: 'created' })
      case 'POST /v1/auth/login': {
        const known = accounts.get(body.email ?? '')
        if (known === undefined) return json(404, { error: 'no_such_user' })
        if (known !== body.password) return json(401, { error: 'wrong_password' })
        // A short, guessable session id, handed out in the body too.
        const id = randomBytes(4).toString('hex')
        sessions.add(id)
        return json(200, { sid: id }, { 'set-cookie': `sid=${id}; Path=/` })
      }
      case 'POST /v1/auth/logout':
        // Clears the cookie but keeps the session alive on the server.
        return json(204, {}, { 'set-cookie': 'sid=; Path=/; Max-Age=0' })
      case 'POST /v1/auth/password-reset':
        // Sending the mail takes time, and only known addresses get one.
        if (accounts.has(body.email ?? '')) await sleep(400)
        return json(202, { status: 'sent' })
      case 'GET /v1/me':
        if (sid && sessions.has(sid)) return json(200, { email: WEAK_ACCOUNT.email })
        return json(401, { error: 'unauthenticated' })
      case 'POST /v1/tokens':
        if (!sid || !sessions.has(sid)) return json(401, { error: 'unauthenticated' })
        return json(201, { id: '1', token: randomBytes(8).toString('hex') })
      default:
        if (url.startsWith('/v1/tokens/')) return json(204, {})
    }
    res.writeHead(404, { 'content-type': 'text/plain' })
    res.end(`Error: Cannot ${req.method ?? ''} ${url}\n    at Router.handle (/srv/app/node_modules/express/lib/router/index.js:284:7)\n`)
  }

  const server = opts.tls
    ? https.createServer({ key: opts.tls.key, cert: opts.tls.cert, minVersion: opts.tls.minVersion, ciphers: 'DEFAULT:@SECLEVEL=0' }, handler)
    : http.createServer(handler)
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const server = await startWeakServer({ port: Number(process.argv[2] ?? 3116) })
  console.log(`weak fixture on ${server.url} (account ${WEAK_ACCOUNT.email} / ${WEAK_ACCOUNT.password}); Ctrl-C to stop`)
}
