// npm run init-fork on a fresh clone (a temporary folder: nothing here writes into this repository):
// it refuses a dirty tree and bad values, rewrites every placeholder, generates fresh development
// secrets, prints the checklist, leaves a fork that typechecks, and refuses to run twice.
// Lint and the whole suite on a fork are too slow for this file: run them by hand on a fork before
// a release (docs/decisions/0071-init-fork.md).
import { execFile } from 'node:child_process'
import { existsSync, realpathSync } from 'node:fs'
import { mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ForkOptions, ForkRefused, initFork as initForkInProcess } from '../../tools/init-fork/init-fork.js'
import { runTs } from '../../src/testing/run-ts.js'

const run = promisify(execFile)
const ROOT = path.resolve('.')
const FLAGS = ['--name', 'acme', '--origin', 'https://app.acme.com', '--token-prefix', 'acme', '--contact', 'security@acme.com']
const OPTIONS: ForkOptions = { name: 'acme', appName: 'Acme', origin: 'https://app.acme.com', tokenPrefix: 'acme', contact: 'security@acme.com' }

// The starter's placeholders, written out here rather than taken from the tool, so the tool
// cannot pass by forgetting one in both places.
const PLACEHOLDERS = [
  /secure-saas/i,
  /Secure SaaS Starter/,
  /security@example\.com/,
  /\b(app|api)\.example\.com/,
  /example\.com\/security/,
  /(^|[^A-Za-z0-9])sss([^A-Za-z0-9]|$)/,
]
// LICENSE keeps the starter's MIT notice; the tool, this test and the two documents about the tool
// name the placeholders by design.
const EXEMPT = [/^LICENSE$/, /^tools\/init-fork\//, /^test\/init-fork\//, /^docs\/adopting\.md$/, /^docs\/decisions\/0071-init-fork\.md$/]

interface Run {
  code: number
  stdout: string
  stderr: string
}

// A fork that ran init-fork already carries the marker: the tool refuses to run again there, by design.
const isFork = existsSync(path.join(ROOT, '.fork.json'))

// One fork in steps, in order: refused while dirty, then rewritten, then checked (never shuffled).
describe.skipIf(isFork)(`npm run init-fork${isFork ? ' [skipped: this repository is a fork already]' : ''}`, { shuffle: false }, () => {
  let dir: string
  let fork: string
  // The fork's typecheck, started as soon as the rewrite is done so it runs beside the checks that
  // follow. tsgo (the native TypeScript compiler) gives tsc's verdict on this tree for a quarter of
  // the CPU; one checker thread, since the rest of the suite is running beside it.
  let typecheck: Promise<Run> | undefined
  const initFork = (args: string[]): Promise<Run> => runTs('tools/init-fork/cli.ts', args, { cwd: fork })

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'init-fork-'))
    fork = path.join(dir, 'acme')
    await run('git', ['clone', '--quiet', '--no-hardlinks', ROOT, fork])
    await symlink(realpathSync(path.join(ROOT, 'node_modules')), path.join(fork, 'node_modules'))
  })
  afterAll(async () => {
    await typecheck
    await rm(dir, { recursive: true, force: true })
  })

  // The tool in-process here; the CLI's own refusal (exit 1, message on stderr) is the last test.
  it('refuses a tree with uncommitted changes, and values it cannot use', async () => {
    const readme = path.join(fork, 'README.md')
    const original = await readFile(readme, 'utf8')
    await writeFile(readme, `${original}\nlocal edit\n`)
    // The clone starts with the placeholders, so the grep below has something to miss.
    expect(JSON.parse(await readFile(path.join(fork, 'package.json'), 'utf8'))).toMatchObject({ name: 'secure-saas-starter' })
    await expect(initForkInProcess(fork, OPTIONS)).rejects.toThrow(ForkRefused)
    await expect(initForkInProcess(fork, OPTIONS)).rejects.toThrow(/uncommitted changes/)
    await writeFile(readme, original)
    const bad = await initForkInProcess(fork, { ...OPTIONS, name: 'Acme Inc', origin: 'http://app.acme.com/x', tokenPrefix: 'a', contact: 'nobody' }).catch(
      (e: unknown) => e as Error,
    )
    expect(bad).toBeInstanceOf(ForkRefused)
    for (const flag of ['--name', '--origin', '--token-prefix', '--contact']) expect((bad as Error).message).toContain(flag)
    expect((await run('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: fork })).stdout).toBe('')
  })

  it('rewrites the fork and prints what a human must still decide', async () => {
    const result = await initFork(FLAGS)
    expect(result.code, result.stderr).toBe(0)
    typecheck = run(path.join(fork, 'node_modules/.bin/tsgo'), ['--noEmit', '-p', 'tsconfig.json', '--checkers', '1'], { cwd: fork }).then(
      (r) => ({ code: 0, ...r }),
      (e: unknown) => e as Run,
    )
    for (const item of ['Domains', 'SMTP', 'Vault', 'Incident contacts', "Policies' owners"]) expect(result.stdout).toContain(item)
  }, 60_000)

  it('leaves no placeholder in any tracked file', async () => {
    const files = (await run('git', ['ls-files'], { cwd: fork })).stdout.split('\n').filter((f) => f && !EXEMPT.some((re) => re.test(f)))
    expect(files.length).toBeGreaterThan(100)
    const left: string[] = []
    for (const file of files) {
      const text = await readFile(path.join(fork, file), 'utf8').catch(() => '')
      text.split('\n').forEach((line, i) => {
        if (PLACEHOLDERS.some((re) => re.test(line))) left.push(`${file}:${i + 1}: ${line.trim().slice(0, 120)}`)
      })
    }
    expect(left).toEqual([])
  })

  it('changes what the fork ships: package name, app name and TOTP issuer, token and Redis prefixes, security contact', async () => {
    const pkg = JSON.parse(await readFile(path.join(fork, 'package.json'), 'utf8')) as { name: string }
    expect(pkg.name).toBe('acme')
    // The fork's own config module, loaded in-process (no tsx start-up).
    const { loadConfig } = (await import(pathToFileURL(path.join(fork, 'src/config/config.ts')).href)) as typeof import('../../src/config/config.js')
    const c = await loadConfig({ NODE_ENV: 'test', DATA_KEYS: `k:${'A'.repeat(43)}`, TOKEN_HMAC_KEYS: `k:${'B'.repeat(43)}` }, { cwd: fork })
    expect([c.appName, c.apiTokens.prefix, c.redis.keyPrefix, c.securityTxt.contact]).toEqual(['Acme', 'acme', 'acme:', 'mailto:security@acme.com'])
    expect(await readFile(path.join(fork, 'README.md'), 'utf8')).toMatch(/^# Acme\n/)
    expect(await readFile(path.join(fork, 'LICENSE'), 'utf8')).toContain('Secure SaaS Starter contributors')
  })

  it('generates fresh development secrets, readable only by the owner', async () => {
    const file = path.join(fork, '.secrets.dev.json')
    expect((await stat(file)).mode & 0o777).toBe(0o600)
    const secrets = JSON.parse(await readFile(file, 'utf8')) as Record<string, string>
    expect(Object.keys(secrets).sort()).toEqual(['DATA_KEYS', 'EMBEDDED_PG_PASSWORD', 'TOKEN_HMAC_KEYS'])
    expect(secrets.DATA_KEYS).toMatch(/^dev1:[A-Za-z0-9_-]{43}$/)
    expect(secrets.DATA_KEYS).not.toBe(secrets.TOKEN_HMAC_KEYS)
    const mine = await readFile(path.join(ROOT, '.secrets.dev.json'), 'utf8').catch(() => '')
    expect(mine).not.toContain(secrets.DATA_KEYS)
  })

  it('refuses to run a second time', async () => {
    const again = await initFork(FLAGS)
    expect(again).toMatchObject({ code: 1, stderr: expect.stringMatching(/initialised already/) })
  })

  it('typechecks', async () => {
    const result = await typecheck
    expect(result?.code, result?.stdout).toBe(0)
  }, 120_000)
})
