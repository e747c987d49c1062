// The project's own static checks must fire on bad code, or they prove nothing.
import { execFile } from 'node:child_process'
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { ESLint } from 'eslint'
import tseslint from 'typescript-eslint'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const run = promisify(execFile)
const bin = (name: string) => path.resolve('node_modules/.bin', name)

describe('ast-grep project rules', () => {
  it('each rule fires on its bad samples and stays quiet on the good ones (rule-tests/)', async () => {
    const { stdout } = await run(bin('ast-grep'), ['test', '--config', 'sgconfig.yml', '--skip-snapshot-tests'])
    // Every rule of rules/ has its samples: as many passed as there are rules.
    const rules = (await readdir('rules')).filter((f) => f.endsWith('.yml')).length
    expect(stdout).toMatch(new RegExp(`\\b${rules} passed; 0 failed`))
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

// Linted in memory as if the file stood at that path (as test/repo/layers.test.ts does): nothing is
// written into src/, and no type information is needed for these two rules, so no ESLint process
// and no TypeScript program over the whole tree.
describe('ESLint boundaries', () => {
  const eslint = new ESLint({
    overrideConfig: [{ files: ['**/*.ts'], ...tseslint.configs.disableTypeChecked, languageOptions: { parserOptions: { projectService: false } } }],
  })
  const rulesFired = async (filePath: string, code: string): Promise<(string | null)[]> => {
    const [result] = await eslint.lintText(code, { filePath })
    return (result?.messages ?? []).map((m) => m.ruleId)
  }
  const SAMPLE = "import { randomBytes } from 'node:crypto'\nexport const a = randomBytes(2)\nexport const b = Math.random()\n"

  it('refuses node:crypto outside src/crypto/ and Math.random anywhere', async () => {
    const rules = await rulesFired('src/accounts/zz-eslint-sample.ts', SAMPLE)
    expect(rules).toContain('no-restricted-imports')
    expect(rules).toContain('no-restricted-syntax')
    // Inside the crypto door the import is allowed; Math.random still is not.
    expect(await rulesFired('src/crypto/zz-eslint-sample.ts', SAMPLE)).toEqual(['no-restricted-syntax'])
  })
})
