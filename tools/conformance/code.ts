// Checks another TypeScript/JavaScript codebase with this project's ast-grep rules (rules/) and its
// secret scan (secretlint), and reports per rule in the same shape as the HTTP kit. The rules'
// `files` globs name this repository's folders, so they are dropped and replaced by the path
// filters below; test files are left out (they log fixtures and compare tokens on purpose), and so
// are minified bundles (vendored code, not the code under review). A reviewed exception (ast-grep's
// ignore comment naming the rule, on the line above) is honoured as `npm run lint:rules` honours
// it, and named in the report. A folder with no JavaScript or TypeScript is refused: a pass
// over nothing would read as a clean codebase.
import { execFile } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { parse, stringify } from 'yaml'
import type { Finding } from './check.js'
import type { Reportable } from './report.js'

const run = promisify(execFile)
const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const bin = (name: string) => path.join(ROOT, 'node_modules/.bin', name)

interface RuleInfo {
  title: string
  standards: string[]
  control: string
  /** Paths where the rule does not apply (the one door it protects). */
  allowedIn?: RegExp
  /** The rule finds secrets: its report lines show the code with every string's value masked. */
  masksStrings?: true
}

export const CODE_RULES: Readonly<Record<string, RuleInfo>> = {
  'no-math-random': {
    title: 'Math.random used (not a CSPRNG): take randomness from node:crypto',
    standards: ['V11.5.1'],
    control: 'Seed random numbers with `now()` (rejected there)',
  },
  'no-string-built-sql': { title: 'SQL built from template strings or concatenation', standards: ['V1.2.4'], control: 'SQL injection' },
  'no-sql-raw': { title: 'sql.raw() with text', standards: ['V1.2.4'], control: 'SQL injection' },
  'no-logging-request-data': { title: 'Request bodies or headers logged', standards: ['V16.2.5'], control: 'Log redaction' },
  'no-logging-secrets': { title: 'Passwords, tokens or secrets logged', standards: ['V16.2.5'], control: 'Log redaction' },
  'no-eval': { title: 'eval / new Function', standards: ['V1.3.2'], control: 'Use a Static Security Code Analysis tools' },
  'no-process-env': {
    title: 'process.env read outside the configuration module',
    standards: ['V13.3.1'],
    control: 'Keep secrets away from code',
    // A config module, a tool's config file, or a command-line entry point (scripts, bench, cli.ts).
    allowedIn: /(^|\/)(config|configuration|settings)(\/|\.[cm]?[jt]sx?$)|\.config\.[cm]?[jt]s$|(^|\/)(scripts|bin|bench)\/|(^|\/)cli\.[cm]?[jt]s$/,
  },
  'no-hardcoded-secret': { title: 'Secrets written into the code', standards: ['V13.3.1'], control: 'Keep secrets away from code', masksStrings: true },
  'no-secret-equality': { title: 'Secrets compared with === instead of in constant time', standards: ['V11.2.4'], control: 'Never do cryptography yourself' },
  'no-fast-password-hash': {
    title: 'Passwords hashed with a fast hash (MD5, SHA-1, SHA-2): store them with argon2id',
    standards: ['V11.4.2'],
    control: 'Password hashing policy',
  },
}

const SECRET_SCAN: RuleInfo = { title: 'Secrets committed to the repository (secretlint)', standards: ['V13.3.1'], control: 'Keep secrets away from code' }
const TEST_FILE = /(^|\/)(__tests__|test|tests|spec|fixtures?)\/|\.(test|spec)\.[cm]?[jt]sx?$/
const LANGUAGES = ['TypeScript', 'Tsx', 'JavaScript'] as const
const SOURCE_FILE = /\.(?:[cm]?[jt]s|[jt]sx)$/
const LEFT_OUT = ['node_modules', 'dist', '.git']
const MINIFIED = /\.min\.[cm]?js$/

interface SgMatch {
  ruleId: string
  file: string
  range: { start: { line: number } }
  lines: string
}

/** Every rule of rules/ once per language, without this repository's file globs. */
async function inlineRules(): Promise<string> {
  const dir = path.join(ROOT, 'rules')
  const docs: string[] = []
  for (const name of (await readdir(dir)).filter((f) => f.endsWith('.yml')).sort()) {
    const rule = parse(await readFile(path.join(dir, name), 'utf8')) as Record<string, unknown>
    delete rule.files
    delete rule.ignores
    for (const language of LANGUAGES) docs.push(stringify({ ...rule, id: `${String(rule.id)}@${language}`, language }))
  }
  return docs.join('---\n')
}

async function astGrep(target: string): Promise<SgMatch[]> {
  const args = [
    'scan',
    '--inline-rules',
    await inlineRules(),
    '--json=compact',
    '--globs',
    '!**/node_modules/**',
    '--globs',
    '!**/dist/**',
    '--globs',
    '!**/*.min.*',
    target,
  ]
  // Exit 1 only means "found something"; the JSON on stdout is the answer either way.
  const { stdout } = await run(bin('ast-grep'), args, { cwd: tmpdir(), maxBuffer: 64 * 1024 * 1024 }).catch((err: unknown) => {
    const e = err as { stdout?: string; code?: number }
    if (e.code === 1 && typeof e.stdout === 'string') return { stdout: e.stdout }
    throw err
  })
  return JSON.parse(stdout || '[]') as SgMatch[]
}

interface SecretHit {
  file: string
  line: number
  message: string
}

const SECRETLINT_PRESET = '@secretlint/secretlint-rule-preset-recommend'

/**
 * This repository's secretlint configuration, with the preset's AWS rule also reporting an access key
 * id alone: in someone else's tree the secret beside it may sit in another file or have been removed
 * by hand, and the id still names the key to revoke. Off in the preset because an id alone is not a
 * credential; here it is a lead worth a line of the report.
 */
async function secretlintConfig(): Promise<string> {
  const config = JSON.parse(await readFile(path.join(ROOT, '.secretlintrc.json'), 'utf8')) as { rules: { id: string; rules?: unknown[] }[] }
  const aws = { id: '@secretlint/secretlint-rule-aws', options: { enableIDScanRule: true } }
  const rules = config.rules.map((rule) => (rule.id === SECRETLINT_PRESET ? { ...rule, rules: [...(rule.rules ?? []), aws] } : rule))
  return JSON.stringify({ ...config, rules })
}

// enableIDScanRule also turns on the AWS account id pattern: any `account = 12 digits`, and AWS does
// not count account ids as secrets. That part of it is dropped.
const NOT_SECRETS = new Set(['AWSAccountID'])

async function secretScan(target: string): Promise<SecretHit[]> {
  const work = await mkdtemp(path.join(tmpdir(), 'conformance-code-'))
  try {
    const ignore = path.join(work, 'ignore')
    await writeFile(ignore, ['node_modules/', 'dist/', 'coverage/', '.git/', 'package-lock.json', ''].join('\n'))
    // To a file: the JSON holds every file's text, and secretlint exits before a pipe drains.
    const output = path.join(work, 'out.json')
    const rc = path.join(work, 'secretlintrc.json')
    await writeFile(rc, await secretlintConfig())
    // secretlint masks the secret in its messages (the default since v10): the report names file
    // and line, never the value.
    const args = ['--secretlintrc', rc, '--secretlintignore', ignore, '--format', 'json', '--output', output, '**/*']
    await run(bin('secretlint'), args, { cwd: target, maxBuffer: 16 * 1024 * 1024 }).catch((err: unknown) => {
      if ((err as { code?: number }).code !== 1) throw err
    })
    const results = JSON.parse(await readFile(output, 'utf8')) as {
      filePath: string
      messages: { message: string; messageId?: string; loc: { start: { line: number } } }[]
    }[]
    return results.flatMap((r) =>
      r.messages
        .filter((m) => !NOT_SECRETS.has(m.messageId ?? ''))
        .map((m) => ({ file: path.relative(target, r.filePath).split(path.sep).join('/'), line: m.loc.start.line, message: m.message })),
    )
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}

/** How many source files ast-grep will read under `root` (the same folders and files left out). */
async function countSources(root: string): Promise<number> {
  const names = await readdir(root, { recursive: true })
  return names.filter((name) => {
    const parts = name.split(path.sep)
    return SOURCE_FILE.test(name) && !MINIFIED.test(name) && !parts.some((part) => LEFT_OUT.includes(part))
  }).length
}

const IGNORE_DIRECTIVE = 'ast-grep-ignore'

// A quoted string or template: its quotes, then anything but its own quote (escapes included).
const STRING_LITERAL = /(['"`])(?:\\.|(?!\1)[^\\])*\1/g

const MASK = '*'.repeat(8)

/**
 * `line` with each string's value replaced by asterisks, a string left open (a template that goes on
 * to the next line) up to the end: a report lands in CI logs, a secret must not.
 */
function maskStrings(line: string): string {
  const closed = line.replace(STRING_LITERAL, (literal) => `${literal[0]}${MASK}${literal[0]}`)
  return closed.replace(/(?<!\*)(['"`])(?!\*{8}\1).*$/, `$1${MASK}`)
}

/**
 * Whether the line above `line` (0-based) of a file's `lines` waives `rule`: ast-grep's ignore comment alone
 * waives every rule; followed by `: a, b` (and an optional `-- reason`), the rules it names.
 */
function waived(lines: readonly string[], line: number, rule: string): boolean {
  const above = (lines[line - 1] ?? '').trim()
  if (!above.startsWith('//')) return false
  const body = above.slice(2).trim()
  if (!body.startsWith(IGNORE_DIRECTIVE)) return false
  const rest = (body.slice(IGNORE_DIRECTIVE.length).split('--')[0] ?? '').trim()
  if (rest === '') return true
  return (
    rest.startsWith(':') &&
    rest
      .slice(1)
      .split(',')
      .some((id) => id.trim() === rule)
  )
}

/** `file:line: ...` entries in the order of the tree: by file, then by line. */
function byPlace(a: string, b: string): number {
  const [fa = '', la = '0'] = a.split(':')
  const [fb = '', lb = '0'] = b.split(':')
  return fa === fb ? Number(la) - Number(lb) : fa < fb ? -1 : 1
}

export interface CodeReport extends Reportable {
  files: { skippedAsTests: number }
}

/** Scans `target` (a folder); one finding per rule plus one for the secret scan. */
export async function scanCodebase(target: string): Promise<CodeReport> {
  const root = path.resolve(target)
  if ((await countSources(root)) === 0) throw new Error(`no JavaScript or TypeScript file in ${target}: nothing was checked`)
  const [matches, secrets] = await Promise.all([astGrep(root), secretScan(root)])
  const byRule = new Map<string, string[]>(Object.keys(CODE_RULES).map((id) => [id, []]))
  const waivers = new Map<string, string[]>()
  const testFiles = new Set<string>()
  const linesOf = new Map<string, string[]>()
  for (const m of matches) {
    const id = m.ruleId.split('@')[0] ?? m.ruleId
    const file = path.relative(root, path.resolve(root, m.file)).split(path.sep).join('/')
    if (TEST_FILE.test(file)) {
      testFiles.add(file)
      continue
    }
    if (CODE_RULES[id]?.allowedIn?.test(file)) continue
    const line = m.range.start.line
    let lines = linesOf.get(file)
    if (lines === undefined) {
      lines = (await readFile(path.join(root, file), 'utf8')).split('\n')
      linesOf.set(file, lines)
    }
    if (waived(lines, line, id)) {
      waivers.set(id, [...(waivers.get(id) ?? []), `left out by an ast-grep-ignore comment: ${file}:${line + 1}`])
      continue
    }
    const list = byRule.get(id) ?? []
    // The first line of the match: a statement over many lines stays one line of the report.
    const first = m.lines.trim().split('\n')[0] ?? ''
    list.push(`${file}:${line + 1}: ${(CODE_RULES[id]?.masksStrings ? maskStrings(first) : first).slice(0, 160)}`)
    byRule.set(id, list)
  }
  const findings: Finding[] = [...byRule].map(([id, hits]) => {
    const info = CODE_RULES[id] ?? { title: id, standards: [], control: 'Use a Static Security Code Analysis tools' }
    return {
      id,
      title: info.title,
      standards: info.standards,
      control: info.control,
      outcome: hits.length > 0 ? 'fail' : 'pass',
      problems: [...new Set(hits)].sort(byPlace),
      notes: [...new Set(waivers.get(id) ?? [])],
      requests: 0,
    }
  })
  findings.push({
    id: 'secrets',
    ...SECRET_SCAN,
    outcome: secrets.length > 0 ? 'fail' : 'pass',
    problems: secrets.map((s) => `${s.file}:${s.line}: ${s.message}`).sort(byPlace),
    notes: [],
    requests: 0,
  })
  const summary = { pass: 0, fail: 0, skip: 0 }
  for (const f of findings) summary[f.outcome] += 1
  return { target: root, profile: 'rules/ + secretlint', findings, summary, files: { skippedAsTests: testFiles.size } }
}
