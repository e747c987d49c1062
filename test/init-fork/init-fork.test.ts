// npm run init-fork on a fresh clone (a temporary folder: nothing here writes into this repository):
// it refuses a dirty tree and bad values, rewrites every placeholder, generates fresh development
// secrets, regenerates the configuration docs, prints the checklist, leaves a fork that typechecks,
// and refuses to run twice. The values it pastes into code are checked first: a quote or a `$` in
// one must never reach a TypeScript string or a replace pattern.
// Lint and the whole suite on a fork are too slow for this file: run them by hand on a fork before
// a release (docs/decisions/0071-init-fork.md).
import { execFile } from 'node:child_process'
import { existsSync, realpathSync } from 'node:fs'
import { mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import ts from 'typescript'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ForkOptions, ForkRefused, initFork as initForkInProcess, rewrite, validate } from '../../tools/init-fork/init-fork.js'
import { runTs } from '../../src/testing/run-ts.js'

const run = promisify(execFile)
const ROOT = path.resolve('.')
// An app name with an ampersand and letters beyond ASCII, so the fork's typecheck covers them.
const APP_NAME = 'Café Zoë & Co'
const FLAGS = ['--name', 'acme', '--app-name', APP_NAME, '--origin', 'https://app.acme.com', '--token-prefix', 'acme', '--contact', 'security@acme.com']
const OPTIONS: ForkOptions = { name: 'acme', appName: APP_NAME, origin: 'https://app.acme.com', tokenPrefix: 'acme', contact: 'security@acme.com' }

// The starter's placeholders, written out here rather than taken from the tool, so the tool
// cannot pass by forgetting one in both places.
const PLACEHOLDERS = [
  /secure-saas/i,
  /Secure SaaS Starter/,
  /security@example\.com/,
  /\b(app|api)\.example\.com/,
  /example\.com\/security/,
  /(^|[^A-Za-z0-9])sss([^A-Za-z0-9]|$)/,
  /secure SaaS backend starter/i,
]
// LICENSE keeps the starter's MIT notice; the tool, this test and the two documents about the tool
// name the placeholders by design.
const EXEMPT = [/^LICENSE$/, /^tools\/init-fork\//, /^test\/init-fork\//, /^docs\/adopting\.md$/, /^docs\/decisions\/0071-init-fork\.md$/]

interface Run {
  code: number
  stdout: string
  stderr: string
}

/** The syntax errors of each TypeScript file among `files` (transpileModule reports only those: fast, no type check). */
function syntaxErrors(files: Record<string, string>): string[] {
  return Object.entries(files).flatMap(([file, text]) =>
    (ts.transpileModule(text, { fileName: file, reportDiagnostics: true }).diagnostics ?? []).map(
      (d) => `${file}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`,
    ),
  )
}

describe('the values init-fork pastes into code', () => {
  it('refuses an app name with a quote, backslash, backtick, $, comma, angle bracket or control character', () => {
    for (const appName of [
      "Joe's Bakery",
      'Joe"s',
      'A\\B',
      'A`B',
      'A ${x}',
      'Price $5',
      'Acme, Inc',
      'Acme <x>',
      'Acme\nCo',
      'Acme\tCo',
      ' Acme',
      'Acme ',
      'A',
      'x'.repeat(61),
    ]) {
      expect(validate({ ...OPTIONS, appName }), appName).toEqual([expect.stringMatching(/^--app-name: /)])
    }
  })

  it('accepts letters of any script, digits, spaces and . & - ’', () => {
    for (const appName of [APP_NAME, 'Joe’s Bakery', 'Acme Inc.', 'X-Ray 2', 'Ørsted', '東京 Cloud'])
      expect(validate({ ...OPTIONS, appName }), appName).toEqual([])
  })

  it('takes each value literally: a $ is never a replace pattern', () => {
    const o = { ...OPTIONS, appName: 'A$&B', contact: "sec$&@payco.com$'" }
    expect(rewrite('# Secure SaaS Starter\nmailto:security@example.com\n', o)).toBe("# A$&B\nmailto:sec$&@payco.com$'\n")
  })

  it('refuses a contact that is not a plain email address, or is the placeholder', () => {
    for (const contact of [
      'sec$&@payco.com',
      "o'brien@acme.com",
      'a@b@acme.com',
      'sec`x`@acme.com',
      'security@acme',
      'sec..x@acme.com',
      '.sec@acme.com',
      'security@example.com',
      'SECURITY@EXAMPLE.COM',
      'security@acme.test',
    ])
      expect(validate({ ...OPTIONS, contact }), contact).toEqual([expect.stringMatching(/^--contact: /)])
    expect(validate({ ...OPTIONS, contact: 'security@example.com' })[0]).toMatch(/placeholder/)
    expect(validate({ ...OPTIONS, contact: 'sec.team+reports@mail.acme-corp.co.uk' })).toEqual([])
  })

  it("refuses the starter's own token prefix", () => {
    expect(validate({ ...OPTIONS, tokenPrefix: 'sss' })).toEqual([expect.stringMatching(/^--token-prefix: .*own prefix/)])
  })

  it('refuses an origin whose host is not a plain DNS name', () => {
    for (const origin of ["https://joe's.com", 'https://a$&b.com', 'https://a`b.com', 'https://a_b.com', 'https://-acme.com', 'https://localhost'])
      expect(validate({ ...OPTIONS, origin }), origin).toEqual([expect.stringMatching(/^--origin: /)])
    expect(validate({ ...OPTIONS, origin: 'https://café.example.org:8443' })).toEqual([])
  })

  // Every tracked TypeScript file the rewrite changes must still parse, and every JSON file still
  // load; the same check on a name with an apostrophe shows it would catch the quote.
  it.skipIf(isFork)('leaves valid TypeScript and JSON in every rewritten file', async () => {
    const files = (await run('git', ['ls-files', '*.ts', '*.json'], { cwd: ROOT })).stdout.split('\n').filter((f) => f && !EXEMPT.some((re) => re.test(f)))
    const texts = Object.fromEntries(await Promise.all(files.map(async (f) => [f, await readFile(path.join(ROOT, f), 'utf8').catch(() => '')] as const)))
    const rewritten = (o: ForkOptions) =>
      Object.fromEntries(Object.entries(texts).flatMap(([f, text]) => (rewrite(text, o) === text ? [] : [[f, rewrite(text, o)]])))
    const fork = rewritten(OPTIONS)
    expect(Object.keys(fork)).toEqual(expect.arrayContaining(['src/config/env-schema.ts', 'src/http/openapi.ts', 'package.json']))
    expect(syntaxErrors(Object.fromEntries(Object.entries(fork).filter(([f]) => f.endsWith('.ts'))))).toEqual([])
    for (const [file, text] of Object.entries(fork)) if (file.endsWith('.json')) expect((): unknown => JSON.parse(text), file).not.toThrow()
    const quoted = rewritten({ ...OPTIONS, appName: "Joe's Bakery" })
    expect(syntaxErrors({ 'src/config/env-schema.ts': quoted['src/config/env-schema.ts'] ?? '' })).not.toEqual([])
  })

  it('tells, in one line, that it must run in a git clone of the starter', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'init-fork-nogit-'))
    try {
      const result = await runTs(path.join(ROOT, 'tools/init-fork/cli.ts'), FLAGS, { cwd: dir })
      expect(result.code).toBe(1)
      expect(result.stderr).toMatch(/^init-fork refused: run it in a git clone of the starter \(.+\)\n$/)
      expect(result.stderr).not.toMatch(/usage|Command failed/)
      // A git repository, but not the starter: its files must not be rewritten.
      await run('git', ['init', '--quiet'], { cwd: dir })
      await writeFile(path.join(dir, 'package.json'), '{ "name": "other" }\n')
      await expect(initForkInProcess(dir, OPTIONS)).rejects.toThrow(/git clone of the starter \(package\.json names "other"/)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

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
  // This checkout's CLI, run in the fork: the fork's own copy is the last commit's, not the tool under test.
  const initFork = (args: string[]): Promise<Run> => runTs(path.join(ROOT, 'tools/init-fork/cli.ts'), args, { cwd: fork })

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
    // From a subfolder, git would list only that folder's files: half a fork.
    await expect(initForkInProcess(path.join(fork, 'src'), OPTIONS)).rejects.toThrow(/top of the clone/)
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

  it('changes what the fork ships: package name and description, app name and TOTP issuer, OpenAPI description, token and Redis prefixes, security contact', async () => {
    const pkg = JSON.parse(await readFile(path.join(fork, 'package.json'), 'utf8')) as { name: string; description: string }
    expect(pkg).toMatchObject({ name: 'acme', description: `The ${APP_NAME} backend.` })
    expect(await readFile(path.join(fork, 'src/http/openapi.ts'), 'utf8')).toContain(`description: 'The ${APP_NAME} API. Errors are`)
    // The fork's own config module, loaded in-process (no tsx start-up).
    const { loadConfig } = (await import(pathToFileURL(path.join(fork, 'src/config/config.ts')).href)) as typeof import('../../src/config/config.js')
    const c = await loadConfig({ NODE_ENV: 'test', DATA_KEYS: `k:${'A'.repeat(43)}`, TOKEN_HMAC_KEYS: `k:${'B'.repeat(43)}` }, { cwd: fork })
    expect([c.appName, c.apiTokens.prefix, c.redis.keyPrefix, c.securityTxt.contact]).toEqual([APP_NAME, 'acme', 'acme:', 'mailto:security@acme.com'])
    expect(await readFile(path.join(fork, 'README.md'), 'utf8')).toMatch(`# ${APP_NAME}\n`)
    expect(await readFile(path.join(fork, 'LICENSE'), 'utf8')).toContain('Secure SaaS Starter contributors')
  })

  // The renamed defaults change column widths: the fork's own `npm run docs:config` must find nothing to do.
  it('regenerates .env.example and the README configuration table from the renamed schema', async () => {
    const docs = (await import(pathToFileURL(path.join(fork, 'scripts/config-docs.ts')).href)) as typeof import('../../scripts/config-docs.js')
    const readme = await readFile(path.join(fork, 'README.md'), 'utf8')
    expect(await readFile(path.join(fork, '.env.example'), 'utf8')).toBe(docs.renderEnvExample())
    expect(readme).toBe(docs.readmeWithTable(readme))
    expect(readme).toContain(`| \`APP_NAME\` | \`${APP_NAME}\` |`)
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
