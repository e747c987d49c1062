// conformance:code must fire each rule on a codebase that breaks it, stay quiet on one that does
// not, and say so through its exit code. The bad codebase is written at run time into a temporary
// folder, so this repository's own lint and secret scan never see it.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CODE_RULES, type CodeReport, scanCodebase } from '../../tools/conformance/code.js'
import { codeConformanceCli } from '../../tools/conformance/code-cli.js'
import { formatReport } from '../../tools/conformance/report.js'
import { runTs } from '../../src/testing/run-ts.js'

// Assembled so that this file holds no secret-shaped text.
const AWS_LINE = ['aws_secret_access_key', ' = "', 'wJalrXUtnFEMI/K7MDENG/', 'bPxRfiCYSECRETSAMP', '"'].join('')
// An access key id alone, long-term (AKIA) and temporary (ASIA), without its secret beside it.
const AWS_KEY_ID = ['AKIA', 'Z7Q2', 'K4RM', 'X8WN', 'B3TJ'].join('')
const AWS_SESSION_KEY_ID = ['ASIA', 'V5HD', 'P9LC', 'Q2ZE', 'M6YT'].join('')

const BAD: Record<string, string> = {
  'src/token.js': 'export const resetToken = Math.random().toString(36).slice(2)\n',
  'src/users.repo.ts': [
    'export const byId = (db: any, id: string) => db.query(`SELECT * FROM users WHERE id = ${id}`)',
    "export const byName = (db: any, name: string) => db.query('SELECT * FROM users WHERE name = ' + name)",
    'export const sorted = (sql: any, col: string) => sql.raw(col)',
    '',
  ].join('\n'),
  'src/login.ts': [
    'export function login(req: any, logger: any, password: string, storedToken: string, presented: string) {',
    '  logger.info({ body: req.body }, "login attempt")',
    '  logger.debug({ password }, "checking")',
    '  return presented === storedToken',
    '}',
    '',
  ].join('\n'),
  'src/plugins.ts': 'export const load = (code: string) => eval(code)\n',
  // Assembled so that this file holds no secret-shaped text.
  'src/auth.js': `export const JWT_SECRET = '${['my', 'super', 'secret', 'jwt', 'key'].join('-')}'\n`,
  'src/mailer.ts': 'export const smtp = process.env.SMTP_URL\n',
  'src/config/index.ts': 'export const port = Number(process.env.PORT ?? 3000)\n',
  'deploy/credentials.ini': `[default]\n${AWS_LINE}\n`,
  'test/helpers.test.ts': 'export const pick = () => Math.random()\n',
  // SQL built away from the call that runs it, and a mysql2-style execute (found by a user: missed).
  'src/orders.js': [
    'export function byEmail(db, email) {',
    '  const q = "SELECT * FROM orders WHERE email = \'" + email + "\'"',
    '  return db.query(q)',
    '}',
    'export function byId(pool, id) {',
    '  const text = `SELECT id, total FROM orders WHERE id = ${id}`',
    '  return pool.query(text)',
    '}',
    "export const byName = (conn, name) => conn.execute(`SELECT * FROM orders WHERE name = '${name}'`)",
    '',
  ].join('\n'),
  // A reviewed exception is honoured and reported as such; minified bundles are not the code under review.
  'src/shuffle.ts': '// ast-grep-ignore: no-math-random -- the order of a list on screen\nexport const shuffle = () => Math.random() - 0.5\n',
  'public/js/vendor.min.js': 'var r=Math.random();eval("1")\n',
  // Passwords stored as fast hashes (found by a user: an md5 password store passed the scan).
  'src/accounts.js': [
    "import crypto from 'node:crypto'",
    "import md5 from 'md5'",
    'export function hashPassword(password) {',
    "  return crypto.createHash('md5').update(password).digest('hex')",
    '}',
    "export const register = (db, req) => db.insert({ hash: crypto.createHash('sha256').update(req.body.password).digest('hex') })",
    'export const legacy = (user) => md5(user.password)',
    'export function salted(salt, newPwd) {',
    "  const h = crypto.createHash('sha1')",
    '  h.update(salt + newPwd)',
    "  return h.digest('hex')",
    '}',
    '',
  ].join('\n'),
  'src/storage.ts': `export const s3 = { region: 'eu-west-1', credentials: { accessKeyId: '${AWS_KEY_ID}', secretAccessKey: vault.aws } }\n`,
  'deploy/ci.yml': `env:\n  AWS_ACCESS_KEY_ID: ${AWS_SESSION_KEY_ID}\n`,
}

const CLEAN: Record<string, string> = {
  'src/config.ts': 'export const config = { port: Number(process.env.PORT ?? 3000) }\n',
  'src/token.ts':
    "import { randomBytes, timingSafeEqual } from 'node:crypto'\nexport const newToken = () => randomBytes(32).toString('base64url')\nexport const same = (a: Buffer, b: Buffer) => a.length === b.length && timingSafeEqual(a, b)\n",
  'src/users.repo.ts': "export const byId = (db: any, id: string) => db.query('SELECT * FROM users WHERE id = $1', [id])\n",
  'src/login.ts':
    'export function login(logger: any, userId: string, token: string | undefined) {\n  if (token === undefined) return false\n  logger.info({ userId }, "login")\n  return true\n}\n',
  // Fast hashes where they belong: a session token, a file checksum, a breach lookup (HIBP's range
  // API takes the SHA-1 of the password by design); the password itself goes to argon2id.
  'src/hashing.ts': [
    "import { createHash } from 'node:crypto'",
    "import argon2 from 'argon2'",
    "export const tokenHash = (token: string) => createHash('sha256').update(token).digest('hex')",
    "export const etag = (file: Buffer) => createHash('md5').update(file).digest('base64')",
    "export const resetTokenHash = (passwordResetToken: string) => createHash('sha256').update(passwordResetToken).digest()",
    "export const breachPrefix = (password: string) => createHash('sha1').update(password).digest('hex').toUpperCase().slice(0, 5)",
    'export const store = (password: string) => argon2.hash(password, { type: argon2.argon2id })',
    '',
  ].join('\n'),
  // An AWS account id is not a secret (AWS says so); the AWS rule's account id pattern stays off.
  'deploy/terraform.tfvars': 'aws_account_id = "123456789012"\n',
}

async function writeTree(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'conformance-code-'))
  for (const [name, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true })
    await writeFile(path.join(dir, name), text)
  }
  return dir
}

describe('conformance:code', () => {
  let bad: string
  let clean: string
  let badReport: CodeReport
  beforeAll(async () => {
    ;[bad, clean] = await Promise.all([writeTree(BAD), writeTree(CLEAN)])
    badReport = await scanCodebase(bad)
  })
  afterAll(async () => {
    await Promise.all([rm(bad, { recursive: true, force: true }), rm(clean, { recursive: true, force: true })])
  })

  it('fires every rule and the secret scan on a codebase that breaks them, naming file and line', () => {
    const failed = Object.fromEntries(badReport.findings.map((f) => [f.id, f.outcome]))
    expect(failed, formatReport(badReport, 'text')).toEqual(Object.fromEntries([...Object.keys(CODE_RULES), 'secrets'].map((id) => [id, 'fail'])))
    const problems = (id: string) => badReport.findings.find((f) => f.id === id)?.problems ?? []
    expect(problems('no-math-random')).toEqual([expect.stringMatching(/^src\/token\.js:1: /)])
    expect(problems('no-string-built-sql')).toEqual([
      expect.stringMatching(/^src\/orders\.js:2: /),
      expect.stringMatching(/^src\/orders\.js:6: /),
      expect.stringMatching(/^src\/orders\.js:9: /),
      expect.stringMatching(/^src\/users\.repo\.ts:1: /),
      expect.stringMatching(/^src\/users\.repo\.ts:2: /),
    ])
    expect(problems('no-eval')).toEqual([expect.stringMatching(/^src\/plugins\.ts:1: /)])
    const random = badReport.findings.find((f) => f.id === 'no-math-random')
    expect(random?.notes).toEqual(['left out by an ast-grep-ignore comment: src/shuffle.ts:2'])
    expect(problems('no-secret-equality')).toEqual([expect.stringMatching(/^src\/login\.ts:4: .*presented === storedToken/)])
    expect(problems('no-fast-password-hash')).toEqual([
      expect.stringMatching(/^src\/accounts\.js:4: .*createHash\('md5'\)/),
      expect.stringMatching(/^src\/accounts\.js:6: .*req\.body\.password/),
      expect.stringMatching(/^src\/accounts\.js:7: .*md5\(user\.password\)/),
      expect.stringMatching(/^src\/accounts\.js:10: .*h\.update\(salt \+ newPwd\)/),
    ])
    expect(problems('secrets')).toEqual([
      expect.stringMatching(/^deploy\/ci\.yml:2: .*AWS Access Key ID/),
      expect.stringMatching(/^deploy\/credentials\.ini:2: /),
      expect.stringMatching(/^src\/storage\.ts:1: .*AWS Access Key ID/),
    ])
    // Named by file and line, never printed whole.
    expect(problems('secrets').join('\n')).not.toMatch(new RegExp(`${AWS_KEY_ID.slice(4)}|${AWS_SESSION_KEY_ID.slice(4)}`))
    // A secret written into code is named too, its value masked: the report lands in CI logs.
    expect(problems('no-hardcoded-secret')).toEqual([expect.stringMatching(/^src\/auth\.js:1: export const JWT_SECRET = '\*+'$/)])
    expect(formatReport(badReport, 'text')).not.toContain('super-secret')
    expect(formatReport(badReport, 'json')).not.toContain('super-secret')
  })

  it('leaves the configuration module and test files out', () => {
    const env = badReport.findings.find((f) => f.id === 'no-process-env')?.problems ?? []
    expect(env).toEqual([expect.stringMatching(/^src\/mailer\.ts:1: /)])
    expect(badReport.files.skippedAsTests).toBe(1)
  })

  it('passes a codebase that follows the rules', async () => {
    const report = await scanCodebase(clean)
    expect(report.summary, formatReport(report, 'text')).toEqual({ pass: Object.keys(CODE_RULES).length + 1, fail: 0, skip: 0 })
  })

  it('passes this repository, its reviewed exceptions included (what a fork starts from)', async () => {
    const report = await scanCodebase('.')
    expect(report.summary, formatReport(report, 'text')).toEqual({ pass: Object.keys(CODE_RULES).length + 1, fail: 0, skip: 0 })
  })

  it('refuses a folder with no JavaScript or TypeScript in it instead of passing it (exit 2, one line)', async () => {
    const python = await writeTree({ 'app.py': 'import random\ntoken = random.random()\n' })
    const empty = await mkdtemp(path.join(tmpdir(), 'conformance-code-'))
    try {
      for (const dir of [python, empty]) {
        let stderr = ''
        const code = await codeConformanceCli([dir], { out: () => undefined, err: (text) => (stderr += text) })
        expect({ code, first: stderr.split('\n')[0] }).toEqual({
          code: 2,
          first: `conformance:code: no JavaScript or TypeScript file in ${dir}: nothing was checked`,
        })
        expect(stderr).not.toMatch(/\bat .*\.js:\d+/)
      }
    } finally {
      await Promise.all([rm(python, { recursive: true, force: true }), rm(empty, { recursive: true, force: true })])
    }
  })

  it('exits 1 on findings and 0 on a clean codebase (the CLI)', async () => {
    // One real process proves the wiring (argv in, report on stdout, exit code out); the clean
    // case runs the same program in-process, without a second tsx start-up.
    const failing = await runTs(path.resolve('tools/conformance/code-cli.ts'), [bad, '--format', 'json'])
    expect(failing).toMatchObject({ code: 1 })
    expect(JSON.parse(failing.stdout)).toMatchObject({ summary: { fail: Object.keys(CODE_RULES).length + 1 } })
    let stdout = ''
    const code = await codeConformanceCli([clean], { out: (text) => (stdout += text), err: () => undefined })
    expect(code).toBe(0)
    expect(stdout).toMatch(new RegExp(`${Object.keys(CODE_RULES).length + 1} passed, 0 failed`))
    expect(await codeConformanceCli([bad, clean], { out: () => undefined, err: () => undefined })).toBe(2)
  })
})
