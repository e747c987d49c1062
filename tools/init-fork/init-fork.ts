// Turns a fresh clone of the starter into a named fork: the project's placeholders (its name, the
// app name that is also the TOTP issuer, the API-token and Redis prefix `sss`, the example
// security contact and hosts) are rewritten in every tracked text file, fresh development secrets
// are generated, and a marker (.fork.json) stops a second run. LICENSE keeps the starter's MIT
// notice, as the licence requires. The decisions left to a human are returned as a checklist.
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { readFile, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { promisify } from 'node:util'
import { API_TOKEN_PREFIX_RULE, isApiTokenPrefix } from '../../src/api-tokens/token-format.js'
import { DEV_SECRETS_FILE, ensureDevSecrets } from '../../src/config/dev-secrets.js'

const run = promisify(execFile)

export const MARKER_FILE = '.fork.json'

export interface ForkOptions {
  /** npm package and project slug: lower case, digits and dashes. */
  name: string
  /** Human name: mails, TOTP issuer, OpenAPI title, README title. */
  appName: string
  /** The production origin, https. */
  origin: string
  /** API-token prefix (and Redis key prefix): what secret scanners will match. */
  tokenPrefix: string
  /** Where vulnerability reports go (security.txt Contact, SECURITY.md). */
  contact: string
}

/** Files the rewrite never touches: the licence notice, and this tool with its test and the two
 * documents that describe it (they name the placeholders by design). The lock file is handled apart. */
const UNTOUCHED = [
  /^LICENSE$/,
  /^tools\/init-fork\//,
  /^test\/init-fork\//,
  /^docs\/adopting\.md$/,
  /^docs\/decisions\/0071-init-fork\.md$/,
  /^package-lock\.json$/,
]

export function validate(o: ForkOptions): string[] {
  const problems: string[] = []
  if (!/^[a-z][a-z0-9-]{1,49}$/.test(o.name) || o.name.endsWith('-')) problems.push('--name: 2-50 lower-case letters, digits or dashes, starting with a letter')
  if (o.appName.length < 2 || o.appName.length > 60 || /[<>"\n]/.test(o.appName)) problems.push('--app-name: 2-60 characters, no <, > or quotes')
  let url: URL | undefined
  try {
    url = new URL(o.origin)
  } catch {
    problems.push('--origin: not a URL')
  }
  if (url && (url.protocol !== 'https:' || url.pathname !== '/' || url.search || url.hash || url.username))
    problems.push('--origin: an https origin only, such as https://app.acme.com')
  if (!isApiTokenPrefix(o.tokenPrefix)) problems.push(`--token-prefix: ${API_TOKEN_PREFIX_RULE}`)
  if (!/^[^\s@<>"]+@[^\s@<>"]+\.[a-z]{2,}$/i.test(o.contact)) problems.push('--contact: an email address such as security@acme.com')
  return problems
}

/** The text with every placeholder replaced. */
export function rewrite(text: string, o: ForkOptions): string {
  const origin = new URL(o.origin).origin
  const host = new URL(o.origin).host
  return text
    .replace(/secure-saas-starter/g, o.name)
    .replace(/Secure SaaS Starter/g, o.appName)
    .replace(/(?<![\w-])secure-saas(?![\w-])/g, o.name)
    .replace(/security@example\.com/g, o.contact)
    .replace(/https:\/\/example\.com\/security/g, `${origin}/security`)
    .replace(/https:\/\/(app|api)\.example\.com/g, origin)
    .replace(/(?<![\w.-])(app|api)\.example\.com/g, host)
    .replace(/(?<![A-Za-z0-9])sss(?![A-Za-z0-9])/g, o.tokenPrefix)
}

async function git(cwd: string, ...args: string[]): Promise<string> {
  return (await run('git', args, { cwd, maxBuffer: 16 * 1024 * 1024 })).stdout
}

export class ForkRefused extends Error {}

export interface ForkResult {
  changedFiles: string[]
  checklist: string[]
}

/** Rewrites the clone at `root`; throws ForkRefused when it ran before or the tree is dirty. */
export async function initFork(root: string, o: ForkOptions): Promise<ForkResult> {
  const problems = validate(o)
  if (problems.length > 0) throw new ForkRefused(problems.join('\n'))
  if (existsSync(path.join(root, MARKER_FILE))) throw new ForkRefused(`${MARKER_FILE} exists: this fork was initialised already`)
  // Untracked files are never rewritten, so only changes to tracked files count as dirty.
  if ((await git(root, 'status', '--porcelain', '--untracked-files=no')).trim() !== '')
    throw new ForkRefused('the git tree has uncommitted changes: commit or stash them first')
  const commit = (await git(root, 'rev-parse', 'HEAD')).trim()

  const changedFiles: string[] = []
  for (const file of (await git(root, 'ls-files', '-z')).split('\0').filter(Boolean)) {
    if (UNTOUCHED.some((re) => re.test(file))) continue
    const full = path.join(root, file)
    if (!existsSync(full)) continue
    const buffer = await readFile(full)
    if (buffer.includes(0)) continue // binary
    const before = buffer.toString('utf8')
    const after = rewrite(before, o)
    if (after !== before) {
      await writeFile(full, after)
      changedFiles.push(file)
    }
  }
  // The lock file names the package twice (root and packages[""]); nothing else in it is ours.
  const lockPath = path.join(root, 'package-lock.json')
  if (existsSync(lockPath)) {
    const lock = await readFile(lockPath, 'utf8')
    const renamed = lock.replaceAll('"name": "secure-saas-starter"', `"name": "${o.name}"`)
    if (renamed !== lock) {
      await writeFile(lockPath, renamed)
      changedFiles.push('package-lock.json')
    }
  }

  await freshDevSecrets(root)
  await writeFile(
    path.join(root, MARKER_FILE),
    `${JSON.stringify({ ...o, forkedFrom: `secure-saas-starter@${commit}`, at: new Date().toISOString() }, null, 2)}\n`,
  )
  return { changedFiles, checklist: await checklist(root, o) }
}

/** New development keys; the embedded database's password is kept if its data folder exists. */
async function freshDevSecrets(root: string): Promise<void> {
  const file = path.join(root, DEV_SECRETS_FILE)
  let keep: Record<string, string> = {}
  if (existsSync(file) && existsSync(path.join(root, '.data'))) {
    const old = JSON.parse(await readFile(file, 'utf8')) as Record<string, string>
    if (old.EMBEDDED_PG_PASSWORD) keep = { EMBEDDED_PG_PASSWORD: old.EMBEDDED_PG_PASSWORD }
  }
  await rm(file, { force: true })
  if (Object.keys(keep).length > 0) await writeFile(file, `${JSON.stringify(keep, null, 2)}\n`, { mode: 0o600 })
  await ensureDevSecrets(root, ['DATA_KEYS', 'TOKEN_HMAC_KEYS', 'EMBEDDED_PG_PASSWORD'])
}

/** What no command can decide. Bracketed fields left in the policy templates are counted per file. */
async function checklist(root: string, o: ForkOptions): Promise<string[]> {
  const host = new URL(o.origin).host
  const policies = (await git(root, 'ls-files', 'docs/policies', 'docs/incident-response.md')).split('\n').filter(Boolean)
  const open: string[] = []
  for (const file of policies) {
    const fields = (await readFile(path.join(root, file), 'utf8')).match(/\[[^\]\n]{3,80}\](?!\()/g) ?? []
    if (fields.length > 0) open.push(`${file}: ${fields.length} bracketed fields to fill`)
  }
  return [
    `Domains: DNS for ${host}, a TLS certificate (infra/nginx/nginx.conf now names it), registrar lock and DNSSEC; set PUBLIC_ORIGIN=${new URL(o.origin).origin} in production`,
    'SMTP: SMTP_URL (smtps://) and MAIL_FROM with a real sender on your domain; SPF, DKIM and DMARC for it',
    `Secrets: a Vault path (VAULT_ADDR, VAULT_PATH such as ${o.name}/production) or *_FILE mounts; new DATA_KEYS and TOKEN_HMAC_KEYS per environment (never the ones in ${DEV_SECRETS_FILE})`,
    `Image: the registry and owner in infra/k8s/app.yaml (ghcr.io/${o.name}/${o.name} is a guess)`,
    `Incident contacts: the roles and people in docs/incident-response.md; ${o.contact} must reach someone; SECURITY_POLICY_URL for security.txt`,
    `Policies' owners: each document in docs/policies/ names an owner and a review date`,
    ...open.map((line) => `  ${line}`),
    `Token prefix "${o.tokenPrefix}": register the pattern ^${o.tokenPrefix}_[0-9A-Za-z]{49}$ with GitHub secret scanning (partner program) if the product is public`,
    'LICENSE keeps the starter’s MIT notice (required); add your own copyright line beside it',
    'Review `git diff`, run `npm run lint && npm run typecheck && npm test`, then commit (with .fork.json)',
  ]
}
