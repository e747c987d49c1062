// The project's own static checks must fire on bad code, or they prove nothing.
import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const run = promisify(execFile)
const bin = (name: string) => path.resolve('node_modules/.bin', name)

describe('ast-grep project rules', () => {
  it('each rule fires on its bad samples and stays quiet on the good ones (rule-tests/)', async () => {
    const { stdout } = await run(bin('ast-grep'), ['test', '--config', 'sgconfig.yml', '--skip-snapshot-tests'])
    expect(stdout).toMatch(/8 passed; 0 failed/)
  })

  it('the source tree passes every rule', async () => {
    await expect(run(bin('ast-grep'), ['scan', '--config', 'sgconfig.yml', '--error'])).resolves.toBeDefined()
  })
})

describe('secret scan (secretlint)', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sss-secretlint-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('flags a committed cloud credential', async () => {
    // Assembled at run time so this test file itself holds no secret-shaped text.
    const line = ['aws_secret_access_key', ' = "', 'wJalrXUtnFEMI/K7MDENG/', 'bPxRfiCYSECRETSAMP', '"'].join('')
    await writeFile(path.join(dir, 'leak.txt'), `${line}\n`)
    const result = run(bin('secretlint'), ['--secretlintrc', path.resolve('.secretlintrc.json'), 'leak.txt'], { cwd: dir })
    await expect(result).rejects.toMatchObject({ code: 1 })
  })
})

// Runs after the ast-grep scan above (tests in a file run in order), so the bad sample it writes
// into src/ never meets that scan.
describe('ESLint boundaries', () => {
  const sample = path.resolve('src/accounts/zz-eslint-sample.ts')
  afterAll(async () => {
    await rm(sample, { force: true })
  })

  it('refuses node:crypto outside src/crypto/ and Math.random anywhere', async () => {
    await writeFile(sample, "import { randomBytes } from 'node:crypto'\nexport const a = randomBytes(2)\nexport const b = Math.random()\n")
    const result = await run(bin('eslint'), ['--format', 'json', sample]).catch((e: unknown) => e as { stdout: string })
    await rm(sample, { force: true })
    const [report] = JSON.parse(result.stdout) as [{ messages: { ruleId: string }[] }]
    const rules = report.messages.map((m) => m.ruleId)
    expect(rules).toContain('no-restricted-imports')
    expect(rules).toContain('no-restricted-syntax')
  })
})
