// The conformance kit must pass this starter and fail a weak API on every check: a check that
// cannot fail proves nothing. Both run over real sockets on loopback, with small budgets.
import { execFile, spawnSync } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import net, { type AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { signUpAndLogin, STRONG_PASSWORD } from '../../src/testing/factories.js'
import { runTs } from '../../src/testing/run-ts.js'
import { useTestApp } from '../../src/testing/test-app.js'
import { conformanceCli } from '../../tools/conformance/cli.js'
import { STARTER_PROFILE } from '../../tools/conformance/profile.js'
import { formatReport } from '../../tools/conformance/report.js'
import { CHECKS, type Report, runConformance } from '../../tools/conformance/run.js'
import { startWeakServer, WEAK_ACCOUNT, type WeakServer } from './weak-server.js'

const run = promisify(execFile)
// Timing: five samples and a 250 ms threshold, so a busy CI machine (four test workers on two cores)
// does not fail the starter on noise; the weak fixture still differs by 400 ms and fails.
const FAST = { timingSamples: 5, timingThresholdMs: 250, accountAttempts: 14, addressAttempts: 40, budget: 300 }

function outcomes(report: Report): Record<string, string> {
  return Object.fromEntries(report.findings.map((f) => [f.id, f.outcome]))
}

/** The CLI in-process, without another tsx start-up each: its exit code and what it printed. */
async function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const io = { stdout: '', stderr: '' }
  const code = await conformanceCli(args, env, { out: (text) => (io.stdout += text), err: (text) => (io.stderr += text) })
  return { code, ...io }
}

describe('conformance kit against this starter', () => {
  const t = useTestApp()
  let url: string
  let report: Report
  // A local part the kit's own words used to contain: its probe passwords must not trip this
  // starter's "contains your email" rule for the known address only (a false enumeration finding).
  const email = 'conformance@example.test'

  beforeAll(async () => {
    await signUpAndLogin(t, email)
    await t.app.listen({ port: 0, host: '127.0.0.1' })
    url = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`
    report = await runConformance({ url, credentials: { email, password: STRONG_PASSWORD }, ...FAST })
  }, 60_000)

  it('passes every check (TLS is skipped on plain-http loopback)', () => {
    const failed = report.findings.filter((f) => f.outcome !== 'pass' && f.id !== 'tls')
    expect(failed, formatReport(report, 'text')).toEqual([])
    expect(outcomes(report).tls).toBe('skip')
    expect(report.findings).toHaveLength(CHECKS.length)
    expect(report.couldNotCheck).toEqual([])
  })

  it('exits 0 when the checks ran and none failed (the CLI)', async () => {
    expect(await cli(['--url', url, '--only', 'headers-success,trace'])).toMatchObject({ code: 0, stdout: expect.stringMatching(/2 passed, 0 failed/) })
  })

  it('cites an ASVS 5.0 requirement (or the RFC) and a docs/controls.md row for every finding', async () => {
    const controls = await readFile(path.resolve('docs/controls.md'), 'utf8')
    const rows = controls.split('\n').filter((l) => l.startsWith('| '))
    for (const f of report.findings) {
      expect(f.standards.length).toBeGreaterThan(0)
      expect(f.standards.every((s) => /^V\d+\.\d+\.\d+$|^RFC \d+$/.test(s))).toBe(true)
      expect(
        rows.some((r) => r.slice(2).startsWith(f.control)),
        `no docs/controls.md row starts with "${f.control}"`,
      ).toBe(true)
    }
  })

  it('skips the checks that need an account when none is given, and stays within its budget', async () => {
    const small = await runConformance({ url, budget: 3, only: ['headers-success', 'headers-error', 'cookies', 'session-replay'] })
    expect(outcomes(small)).toEqual({ 'headers-success': 'pass', 'headers-error': 'skip', cookies: 'skip', 'session-replay': 'skip' })
    expect(small.findings.find((f) => f.id === 'headers-error')?.problems[0]).toMatch(/budget of 3 spent/)
    expect(small.findings.find((f) => f.id === 'cookies')?.problems[0]).toMatch(/CONFORMANCE_EMAIL/)
    expect(small.requests).toBe(3)
  })
})

describe('conformance kit against a deliberately weak API', () => {
  let weak: WeakServer
  let report: Report
  beforeAll(async () => {
    weak = await startWeakServer()
    report = await runConformance({ url: weak.url, credentials: WEAK_ACCOUNT, ...FAST, accountAttempts: 6, addressAttempts: 6 })
  })
  afterAll(async () => {
    await weak.close()
  })

  it('fails every check where the API is weak', () => {
    const expected = Object.fromEntries(CHECKS.map((c) => [c.id, c.id === 'tls' ? 'skip' : 'fail']))
    expect(outcomes(report), formatReport(report, 'text')).toEqual(expected)
  })

  it('names what is wrong: reflected origin, guessable session, time-based enumeration', () => {
    const problems = (id: string) => report.findings.find((f) => f.id === id)?.problems.join('\n') ?? ''
    expect(problems('cors')).toMatch(/reflected with credentials allowed/)
    expect(problems('cookies')).toMatch(/at most (2[0-9]|3[0-2]) bits \(< 128/)
    expect(problems('enumeration-reset')).toMatch(/known address takes \d+ ms/)
    expect(problems('enumeration-login')).toMatch(/status 401 for a known address, 404/)
    expect(problems('error-leakage')).toMatch(/stack trace/)
  })

  it('refuses the throttling and enumeration probes off loopback without --i-own-this-host', async () => {
    // The .invalid name resolves nowhere: the refusal must come before any request is tried.
    const refused = await runConformance({ url: 'http://conformance.invalid', credentials: WEAK_ACCOUNT, only: ['throttle-account', 'enumeration-login'] })
    expect(refused.requests).toBe(0)
    expect(refused.findings.map((f) => f.problems[0])).toEqual([expect.stringMatching(/--i-own-this-host/), expect.stringMatching(/--i-own-this-host/)])
  })

  it('prints text, markdown and JSON, and exits 1 on a failure, 2 on a usage error (the CLI)', async () => {
    // One real process proves the wiring (argv in, report on stdout, exit code out); the other
    // cases run the same program in-process, without another tsx start-up each.
    const failing = await runTs(path.resolve('tools/conformance/cli.ts'), ['--url', weak.url, '--only', 'trace,headers-success', '--format', 'markdown'])
    expect(failing).toMatchObject({ code: 1 })
    expect(failing.stdout).toMatch(/\| FAIL \| `trace`/)
    const json = await cli(['--url', weak.url, '--only', 'security-txt', '--format', 'json'])
    expect(json.code).toBe(1)
    expect(JSON.parse(json.stdout)).toMatchObject({ summary: { fail: 1 } })
    const usage = await cli(['--format', 'text'])
    expect(usage).toMatchObject({ code: 2, stderr: expect.stringMatching(/--url is required[\s\S]*usage: npm run conformance/) })
  })

  it('exits 3 (could not check) when the given account cannot log in, and says so once', async () => {
    // An expired test password must not turn a CI gate green with every account check skipped.
    const env = { CONFORMANCE_EMAIL: WEAK_ACCOUNT.email, CONFORMANCE_PASSWORD: 'expired test password' }
    const result = await cli(['--url', weak.url, '--only', 'cookies,csrf,session-replay'], env)
    expect(result).toMatchObject({ code: 3, stdout: expect.stringMatching(/0 passed, 0 failed, 3 skipped/) })
    expect(result.stderr).toMatch(/^conformance: could not check: the account known@example\.test could not log in \(401\b/)
    expect(result.stderr).not.toContain('expired test password')
    expect(result.stderr.trim().split('\n')).toHaveLength(1)
  })

  it('exits 3 (could not check) when every selected check was skipped', async () => {
    const result = await cli(['--url', weak.url, '--only', 'tls'])
    expect(result).toMatchObject({ code: 3, stdout: expect.stringMatching(/0 passed, 0 failed, 1 skipped/) })
    expect(result.stderr).toMatch(/could not check: every selected check was skipped/)
  })

  it('passes no enumeration check on a route the API does not have', async () => {
    // The login works, but the profile names register and reset routes this API lacks: both
    // addresses get the same 404, which says nothing about enumeration.
    const profile = {
      ...STARTER_PROFILE,
      register: { ...STARTER_PROFILE.register, path: '/v1/signup' },
      passwordReset: { ...STARTER_PROFILE.passwordReset, path: '/v1/auth/forgot' },
    }
    const only = ['enumeration-register', 'enumeration-reset']
    const misnamed = await runConformance({ url: weak.url, profile, credentials: WEAK_ACCOUNT, ...FAST, only })
    expect(outcomes(misnamed), formatReport(misnamed, 'text')).toEqual({ 'enumeration-register': 'skip', 'enumeration-reset': 'skip' })
    expect(misnamed.findings.map((f) => f.problems[0])).toEqual([
      expect.stringMatching(/POST \/v1\/signup does not answer like the profile's register route \(404 text\/plain.*check --profile/),
      expect.stringMatching(/POST \/v1\/auth\/forgot does not answer like the profile's passwordReset route .*check --profile/),
    ])
    expect(misnamed.couldNotCheck).toHaveLength(2)
  })

  it('keeps the base path in the heading', async () => {
    const result = await cli(['--url', `${weak.url}/api`, '--only', 'trace'])
    expect(result.stdout).toMatch(/^Conformance of http:\/\/127\.0\.0\.1:\d+\/api \(/)
  })
})

describe('conformance kit against a URL where the API is not', () => {
  it('passes nothing against a server that answers 200 HTML to every request', async () => {
    const html = await startWeakServer({ catchAll: true })
    try {
      const only = ['headers-error', 'error-leakage', 'enumeration-register', 'enumeration-login', 'enumeration-reset']
      const report = await runConformance({ url: html.url, credentials: WEAK_ACCOUNT, ...FAST, only })
      expect(Object.values(outcomes(report)), formatReport(report, 'text')).not.toContain('pass')
      const problem = (id: string) => report.findings.find((f) => f.id === id)?.problems[0]
      expect(problem('error-leakage')).toMatch(/^not an error answer \(GET \/conformance-\w+-missing: 200, .*check --url and --profile$/)
      expect(problem('headers-error')).toMatch(/^not an error answer \(.*: 200, .*check --url and --profile$/)
      expect(report.couldNotCheck).toEqual(
        expect.arrayContaining([expect.stringMatching(/could not log in: the login set no session cookie \(200 text\/html/)]),
      )
    } finally {
      await html.close()
    }
  })

  it('says once that a refused port cannot be reached, and exits 3 without running a check', async () => {
    const closed = net.createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const { port } = closed.address() as AddressInfo
    await new Promise<void>((resolve) => closed.close(() => resolve()))
    const result = await cli(['--url', `http://127.0.0.1:${port}`])
    expect(result).toEqual({
      code: 3,
      stdout: '',
      stderr: expect.stringMatching(new RegExp(`^conformance: cannot reach http://127\\.0\\.0\\.1:${port}: .*ECONNREFUSED[^\\n]*\\n$`)),
    })
  })

  it('gives up after one timeout on a server that accepts and never answers', async () => {
    const sockets: net.Socket[] = []
    const silent = net.createServer((socket) => sockets.push(socket))
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    const { port } = silent.address() as AddressInfo
    try {
      const started = Date.now()
      const result = await cli(['--url', `http://127.0.0.1:${port}`, '--timeout-ms', '200'])
      expect(result).toEqual({ code: 3, stdout: '', stderr: expect.stringMatching(/^conformance: cannot reach .*: .*no answer within 200 ms\n$/) })
      expect(Date.now() - started).toBeLessThan(2_000)
    } finally {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => silent.close(() => resolve()))
    }
  })
})

// The throw-away certificate comes from the openssl command; without it this one block is skipped.
const hasOpenssl = spawnSync('openssl', ['version']).status === 0

describe.skipIf(!hasOpenssl)(`conformance kit: TLS versions over https${hasOpenssl ? '' : ' [skipped: no openssl command]'}`, () => {
  let dir: string
  let tlsFiles: { key: string; cert: string }
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'conformance-tls-'))
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      '/CN=127.0.0.1',
      '-days',
      '1',
      '-keyout',
      path.join(dir, 'k.pem'),
      '-out',
      path.join(dir, 'c.pem'),
    ])
    tlsFiles = { key: await readFile(path.join(dir, 'k.pem'), 'utf8'), cert: await readFile(path.join(dir, 'c.pem'), 'utf8') }
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('fails a server that still speaks TLS 1.0 and passes one that starts at 1.2', async () => {
    for (const [minVersion, outcome] of [
      ['TLSv1', 'fail'],
      ['TLSv1.2', 'pass'],
    ] as const) {
      const server = await startWeakServer({ tls: { ...tlsFiles, minVersion } })
      try {
        const report = await runConformance({ url: server.url, insecureTls: true, only: ['tls'] })
        expect(outcomes(report), formatReport(report, 'text')).toEqual({ tls: outcome })
      } finally {
        await server.close()
      }
    }
  })

  it('fails tls on a certificate that does not verify, and stops the run with one line naming --insecure-tls', async () => {
    const server = await startWeakServer({ tls: { ...tlsFiles, minVersion: 'TLSv1.2' } })
    try {
      const report = await runConformance({ url: server.url })
      expect(outcomes(report), formatReport(report, 'text')).toEqual({ tls: 'fail' })
      expect(report.findings[0]?.problems).toEqual([expect.stringMatching(/certificate does not verify: self-signed certificate.*--insecure-tls/)])
      expect(report.couldNotCheck).toEqual([expect.stringMatching(/certificate of https:.* does not verify \(self-signed certificate\).*--insecure-tls/)])
      const result = await cli(['--url', server.url, '--only', 'headers-success,headers-error,tls'])
      expect(result.code).toBe(3)
      expect(result.stdout).not.toMatch(/could not complete/)
      expect(result.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^conformance: could not check: the certificate .*--insecure-tls/)])
      // Asked for tls alone, the run checked all it was asked: a failure, not "could not check".
      expect((await cli(['--url', server.url, '--only', 'tls'])).code).toBe(1)
    } finally {
      await server.close()
    }
  })
})
