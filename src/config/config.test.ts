import { createServer, type Server } from 'node:http'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { loadConfig } from './config.js'
import { ConfigError } from './config-error.js'
import { DEV_SECRETS_FILE } from './dev-secrets.js'
import { runTs } from '../testing/run-ts.js'

const KEY_A = `k1:${Buffer.alloc(32, 7).toString('base64url')}`
const KEY_B = `k2:${Buffer.alloc(32, 9).toString('base64url')}`
const PROD = {
  NODE_ENV: 'production',
  DATA_KEYS: KEY_A,
  TOKEN_HMAC_KEYS: KEY_B,
  DATABASE_URL: 'postgres://app@db/app',
  PUBLIC_ORIGIN: 'https://app.example.com',
}

// A folder of its own for each test: loading a development config there writes its secrets file.
let dir: string
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'sss-config-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('loadConfig', () => {
  it('builds a frozen, typed config with safe defaults', async () => {
    const config = await loadConfig(PROD)
    expect(config.http).toMatchObject({ host: '127.0.0.1', port: 3000, trustProxy: false })
    expect(config.passwords.minLength).toBe(15)
    expect(config.auth).toMatchObject({ sessionIdleSeconds: 3600, sessionAbsoluteSeconds: 86400, requireVerifiedEmail: true })
    expect(config.keys.data.activeId).toBe('k1')
    expect(Object.isFrozen(config.http)).toBe(true)
    // API documentation is not published in production unless asked for (ASVS 5.0 V13.4.5).
    expect(config.http.exposeDocs).toBe(false)
    expect((await loadConfig({ ...PROD, EXPOSE_DOCS: 'true' })).http.exposeDocs).toBe(true)
  })

  it('names the missing secret in production, never a value', async () => {
    const { DATA_KEYS: _, ...withoutKey } = PROD
    await expect(loadConfig(withoutKey)).rejects.toThrow(/^DATA_KEYS: required in production/)
  })

  it('names a malformed variable without echoing it', async () => {
    const err = await loadConfig({ ...PROD, TOKEN_HMAC_KEYS: 'k1:c2VjcmV0LXZhbHVlLXRoYXQtaXMtdG9vLXNob3J0' }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ConfigError)
    expect((err as Error).message).toMatch(/^TOKEN_HMAC_KEYS:/)
    expect((err as Error).message).not.toContain('c2VjcmV0')
    await expect(loadConfig({ ...PROD, PORT: 'eighty' })).rejects.toThrow(/^PORT: must be an integer$/)
  })

  it('refuses loosening that the standards forbid', async () => {
    await expect(loadConfig({ ...PROD, PASSWORD_MIN_LENGTH: '8' })).rejects.toThrow(/^PASSWORD_MIN_LENGTH/)
    expect((await loadConfig({ ...PROD, PASSWORD_MIN_LENGTH: '8', MFA_REQUIRED: 'true' })).passwords.minLength).toBe(8)
    await expect(loadConfig({ ...PROD, ARGON2_MEMORY_KIB: '4096' })).rejects.toThrow(/^ARGON2_MEMORY_KIB/)
    await expect(loadConfig({ ...PROD, TRUST_PROXY: 'true' })).rejects.toThrow(/^TRUST_PROXY/)
    // Found by an operator pass: a range of every address passed here and failed later in the
    // framework, in a line that did not name the variable.
    for (const everyone of ['0.0.0.0/0', '::/0', '10.0.0.1, 0.0.0.0/0']) {
      await expect(loadConfig({ ...PROD, TRUST_PROXY: everyone }), everyone).rejects.toThrow(/^TRUST_PROXY: .*would trust any sender/)
    }
    for (const broken of ['10.0.0.0/33', '::1/129', '300.1.1.1', '10.0.0.0/8/8', 'fe80::1%eth0']) {
      await expect(loadConfig({ ...PROD, TRUST_PROXY: broken }), broken).rejects.toThrow(/^TRUST_PROXY: /)
    }
    expect((await loadConfig({ ...PROD, TRUST_PROXY: '10.0.0.0/8, 2001:db8::/32, 127.0.0.1, loopback' })).http.trustProxy).toEqual([
      '10.0.0.0/8',
      '2001:db8::/32',
      '127.0.0.1',
      'loopback',
    ])
    await expect(loadConfig({ ...PROD, PUBLIC_ORIGIN: 'http://app.example.com' })).rejects.toThrow(/^PUBLIC_ORIGIN: must be https/)
  })

  it('reads a secret from NAME_FILE, and refuses both forms at once', async () => {
    const file = path.join(dir, 'data_keys')
    await writeFile(file, `${KEY_B}\n`)
    const { DATA_KEYS: _, ...rest } = PROD
    expect((await loadConfig({ ...rest, DATA_KEYS_FILE: file })).keys.data.activeId).toBe('k2')
    await expect(loadConfig({ ...PROD, DATA_KEYS_FILE: file })).rejects.toThrow(/^DATA_KEYS: set either/)
    await expect(loadConfig({ ...rest, DATA_KEYS_FILE: path.join(dir, 'missing') })).rejects.toThrow(/^DATA_KEYS_FILE: cannot read/)
  })

  it('reads secrets from Vault KV v2', async () => {
    const seen: { url?: string; token?: string } = {}
    const server: Server = createServer((req, res) => {
      seen.url = req.url
      seen.token = req.headers['x-vault-token'] as string
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify({ data: { data: { DATA_KEYS: KEY_B, TOKEN_HMAC_KEYS: KEY_A } } }))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const port = (server.address() as { port: number }).port
    try {
      // Plain http only because this is an explicit development process (production demands https, below).
      const { DATA_KEYS: _a, TOKEN_HMAC_KEYS: _b, ...rest } = { ...PROD, NODE_ENV: 'development' }
      const config = await loadConfig({ ...rest, VAULT_ADDR: `http://127.0.0.1:${port}`, VAULT_TOKEN: 'vault-test-token', VAULT_PATH: 'starter/prod' })
      expect(config.keys.data.activeId).toBe('k2')
      expect(seen).toEqual({ url: '/v1/secret/data/starter/prod', token: 'vault-test-token' })
    } finally {
      server.close()
    }
  })

  it('generates missing development secrets once, in a 0600 git-ignored file, and keeps them', async () => {
    const notices: string[] = []
    const first = await loadConfig({ NODE_ENV: 'development' }, { cwd: dir, onNotice: (l) => notices.push(l) })
    const second = await loadConfig({ NODE_ENV: 'development' }, { cwd: dir, onNotice: (l) => notices.push(l) })
    expect(notices).toHaveLength(1)
    expect(notices[0]).toMatch(/generated DATA_KEYS, TOKEN_HMAC_KEYS/)
    expect(second.keys.data.keys.get('dev1')).toEqual(first.keys.data.keys.get('dev1'))
    expect((await stat(path.join(dir, DEV_SECRETS_FILE))).mode & 0o777).toBe(0o600)
    expect(JSON.parse(await readFile(path.join(dir, DEV_SECRETS_FILE), 'utf8'))).toHaveProperty('DATA_KEYS')
    const gitignore = await readFile('.gitignore', 'utf8')
    expect(gitignore).toContain(DEV_SECRETS_FILE)
  })
})

describe('deployment guards (docs/decisions/0077)', () => {
  const VAULT = { VAULT_ADDR: 'http://vault.internal:8200', VAULT_TOKEN: 'vault-test-token', VAULT_PATH: 'starter/prod' }
  const container = { runtime: { inContainer: true } }
  const laptop = { runtime: { inContainer: false } }

  it('refuses a plain-http VAULT_ADDR outside development, before sending the token anywhere', async () => {
    await expect(loadConfig({ ...PROD, ...VAULT })).rejects.toThrow(/^VAULT_ADDR: must be https outside development/)
    // A container that was never told NODE_ENV is not development either.
    await expect(loadConfig({ ...VAULT, MAIL_TRANSPORT: 'stdout' }, { cwd: dir, ...container })).rejects.toThrow(/^VAULT_ADDR: must be https/)
    // https passes this check (and then fails to reach the made-up host, which proves it went on).
    await expect(loadConfig({ ...PROD, ...VAULT, VAULT_ADDR: 'https://127.0.0.1:1' })).rejects.toThrow(/^VAULT_ADDR: Vault did not answer$/)
  })

  // Found by an attacker pass: `PORT=3812 npm start` kept PUBLIC_ORIGIN at :3000, so the reference
  // pages' own requests failed the CSRF origin check and mailed links pointed at another port.
  it('takes the public origin from PORT outside production when PUBLIC_ORIGIN is not set', async () => {
    expect((await loadConfig({ NODE_ENV: 'development', PORT: '3812' }, { cwd: dir })).http.publicOrigin).toBe('http://localhost:3812')
    expect((await loadConfig({ NODE_ENV: 'development' }, { cwd: dir })).http.publicOrigin).toBe('http://localhost:3000')
    expect((await loadConfig({ NODE_ENV: 'development', PORT: '0' }, { cwd: dir })).http.publicOrigin).toBe('http://localhost:3000')
    expect((await loadConfig({ NODE_ENV: 'development', PORT: '3812', PUBLIC_ORIGIN: 'http://127.0.0.1:9000' }, { cwd: dir })).http.publicOrigin).toBe(
      'http://127.0.0.1:9000',
    )
    expect((await loadConfig({ ...PROD, PORT: '8080' })).http.publicOrigin).toBe('https://app.example.com')
  })

  it('prints mail to the terminal only on an explicit or local development process', async () => {
    expect((await loadConfig({}, { cwd: dir, ...laptop })).mail.transport).toBe('stdout')
    expect((await loadConfig({ NODE_ENV: 'development' }, { cwd: dir, ...container })).mail.transport).toBe('stdout')
    expect((await loadConfig({ NODE_ENV: 'test' }, { cwd: dir, ...container })).mail.transport).toBe('stdout')
    expect((await loadConfig(PROD)).mail.transport).toBe('none')
    expect((await loadConfig({ ...PROD, SMTP_URL: 'smtp://mail.example.com:587' })).mail.transport).toBe('smtp')
  })

  it('refuses to print mail from a container started without NODE_ENV, unless MAIL_TRANSPORT=stdout opts in', async () => {
    const withheld = (await loadConfig({}, { cwd: dir, ...container })).mail
    expect(withheld.transport).toBe('none')
    expect(withheld.withheld).toMatch(/^NODE_ENV is unset in a container, so mail \(reset links\) is not printed to stdout; it stays queued in email_outbox/)
    expect((await loadConfig({ MAIL_TRANSPORT: 'stdout' }, { cwd: dir, ...container })).mail.transport).toBe('stdout')
    expect((await loadConfig({ SMTP_URL: 'smtp://mail.example.com:587' }, { cwd: dir, ...container })).mail.transport).toBe('smtp')
    // Kubernetes is recognised from its service variable alone.
    expect((await loadConfig({ KUBERNETES_SERVICE_HOST: '10.0.0.1' }, { cwd: dir })).mail.withheld).toMatch(/^NODE_ENV is unset in a container/)
  })

  it('refuses to print mail when HOST is not loopback, whatever NODE_ENV says', async () => {
    expect((await loadConfig({ NODE_ENV: 'development', HOST: '0.0.0.0' }, { cwd: dir, ...laptop })).mail).toMatchObject({
      transport: 'none',
      withheld: expect.stringMatching(/^HOST is not a loopback address/),
    })
    expect((await loadConfig({ HOST: '::' }, { cwd: dir, ...laptop })).mail).toMatchObject({
      transport: 'none',
      withheld: expect.stringMatching(/^HOST is not a loopback/),
    })
    for (const host of ['127.0.0.1', 'localhost', '::1', '[::1]', '127.0.0.2'])
      expect((await loadConfig({ HOST: host }, { cwd: dir, ...laptop })).mail.transport).toBe('stdout')
    expect((await loadConfig({ HOST: '0.0.0.0', MAIL_TRANSPORT: 'stdout' }, { cwd: dir, ...laptop })).mail.transport).toBe('stdout')
  })

  it('never prints mail in production, and checks MAIL_TRANSPORT', async () => {
    await expect(loadConfig({ ...PROD, MAIL_TRANSPORT: 'stdout' })).rejects.toThrow(/^MAIL_TRANSPORT: stdout is refused in production/)
    await expect(loadConfig({ ...PROD, MAIL_TRANSPORT: 'smtp' })).rejects.toThrow(/^MAIL_TRANSPORT: smtp needs SMTP_URL$/)
    await expect(loadConfig({ ...PROD, MAIL_TRANSPORT: 'terminal' })).rejects.toThrow(/^MAIL_TRANSPORT: must be one of smtp, stdout$/)
  })
})

describe('server start-up', () => {
  it('exits non-zero with one line naming the missing secret in production', async () => {
    // The child needs PATH and nothing else of ours.
    const env = {
      PATH: process.env['PATH'] ?? '',
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://x@127.0.0.1:1/x',
      PUBLIC_ORIGIN: 'https://a.example',
      TOKEN_HMAC_KEYS: KEY_B,
    }
    const result = await runTs('src/server.ts', [], { env })
    expect(result).toMatchObject({ code: 1 })
    expect(result.stderr.trim()).toBe('configuration error: DATA_KEYS: required in production (set it, DATA_KEYS_FILE, or put it in Vault)')
  })
})
