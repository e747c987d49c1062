// Turns a fresh clone of the starter into a named fork: the project's placeholders (its name, the
// app name that is also the TOTP issuer, the API-token and Redis prefix `sss`, the example
// security contact and hosts) are rewritten in every tracked text file, the configuration docs are
// regenerated, fresh development secrets are generated, and a marker (.fork.json) stops a second
// run. LICENSE keeps the starter's MIT notice, as the licence requires. The decisions left to a
// human are returned as a checklist. The values land unescaped in TypeScript and JSON strings,
// Markdown and config, so validate() (values.ts) admits only characters that are plain text in all of them.
import { execFile } from 'node:child_process'
import { existsSync, realpathSync } from 'node:fs'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import path from 'node:path'
import { promisify } from 'node:util'
import { DEV_SECRETS_FILE, ensureDevSecrets } from '../../src/config/dev-secrets.js'
import { type ForkOptions, rewrite, validate } from './values.js'

export { type ForkOptions, rewrite, validate } from './values.js'

const run = promisify(execFile)

export const MARKER_FILE = '.fork.json'
const STARTER = 'secure-saas-starter'
/** Prints the README's configuration table and .env.example from the schema (`npm run docs:config`). */
const CONFIG_DOCS_SCRIPT = 'scripts/config-docs.ts'
const CONFIG_DOCS = ['README.md', '.env.example']

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

async function git(cwd: string, ...args: string[]): Promise<string> {
  return (await run('git', args, { cwd, maxBuffer: 16 * 1024 * 1024 })).stdout
}

export class ForkRefused extends Error {}

/** Refuses anything but the top of a git clone of the starter: from a subfolder git lists only
 * that folder's files (half a fork), and another project's files must never be rewritten. */
async function checkClone(root: string): Promise<void> {
  const top = await git(root, 'rev-parse', '--show-toplevel').catch((err: unknown) => {
    const reason = (err as { code?: unknown }).code === 'ENOENT' ? 'git is not installed' : `${root} is not in a git work tree`
    throw new ForkRefused(`run it in a git clone of the starter (${reason})`)
  })
  if (realpathSync(top.trim()) !== realpathSync(root)) throw new ForkRefused(`run it at the top of the clone (${top.trim()}), not in a subfolder`)
  const pkg = path.join(root, 'package.json')
  const name = existsSync(pkg) ? (JSON.parse(await readFile(pkg, 'utf8')) as { name?: unknown }).name : undefined
  if (name !== STARTER)
    throw new ForkRefused(
      `run it in a git clone of the starter (${name === undefined ? 'no package.json names it' : `package.json names ${JSON.stringify(name)}`}, not ${STARTER})`,
    )
}

/** The tsx that runs the fork's own scripts, or undefined before `npm install`. */
function findTsx(root: string): string | undefined {
  try {
    return createRequire(path.join(root, 'package.json')).resolve('tsx/cli')
  } catch {
    return undefined
  }
}

/** Runs the fork's `npm run docs:config`: the renamed defaults change the widths of the README's
 * configuration table and .env.example, which the fork's own tests compare with the schema. */
async function regenerateConfigDocs(root: string, tsx: string): Promise<string[]> {
  const before = await Promise.all(CONFIG_DOCS.map((file) => readFile(path.join(root, file), 'utf8')))
  await run(process.execPath, [tsx, CONFIG_DOCS_SCRIPT], { cwd: root })
  const after = await Promise.all(CONFIG_DOCS.map((file) => readFile(path.join(root, file), 'utf8')))
  return CONFIG_DOCS.filter((_, i) => before[i] !== after[i])
}

export interface ForkResult {
  changedFiles: string[]
  checklist: string[]
}

/** Rewrites the clone at `root`; throws ForkRefused on a bad value, outside the top of a clean clone of the starter, or when it ran before. */
export async function initFork(root: string, o: ForkOptions): Promise<ForkResult> {
  const problems = validate(o)
  if (problems.length > 0) throw new ForkRefused(problems.join('\n'))
  if (existsSync(path.join(root, MARKER_FILE))) throw new ForkRefused(`${MARKER_FILE} exists: this fork was initialised already`)
  await checkClone(root)
  const tsx = findTsx(root)
  if (tsx === undefined) throw new ForkRefused('tsx is missing: run npm install first')
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
    const renamed = lock.replaceAll(`"name": "${STARTER}"`, () => `"name": "${o.name}"`)
    if (renamed !== lock) {
      await writeFile(lockPath, renamed)
      changedFiles.push('package-lock.json')
    }
  }

  for (const file of await regenerateConfigDocs(root, tsx)) if (!changedFiles.includes(file)) changedFiles.push(file)

  await freshDevSecrets(root)
  await writeFile(path.join(root, MARKER_FILE), `${JSON.stringify({ ...o, forkedFrom: `${STARTER}@${commit}`, at: new Date().toISOString() }, null, 2)}\n`)
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
