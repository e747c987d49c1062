// `npm run check:install-scripts`: only the packages named in package.json `allowScripts` may run
// install scripts (preinstall, install, postinstall: arbitrary code at `npm ci`). Reads the
// lockfile's `hasInstallScript` flags, so it needs no node_modules: CI runs it BEFORE `npm ci`
// (`node --experimental-strip-types scripts/check-install-scripts.ts`), and a new dependency (or a
// new version of one) that gains an install script fails the build until a reviewer lists it. A
// listed package that no longer has a script fails too, so the list stays the truth. Imports
// nothing but node: built-ins, on purpose. docs/decisions/0079-supply-chain-and-image.md.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export interface Lockfile {
  packages?: Record<string, { hasInstallScript?: boolean }>
}
export interface Manifest {
  allowScripts?: Record<string, boolean>
}
export interface InstallScriptReport {
  /** Every locked package name that has an install script. */
  withScripts: string[]
  /** Has a script, not in allowScripts. */
  unlisted: string[]
  /** Has a script, and allowScripts says false. */
  denied: string[]
  /** In allowScripts, but nothing locked of that name has a script any more. */
  stale: string[]
}

/** The package name of a lockfile path: the part after the last `node_modules/`. */
export function packageName(lockPath: string): string {
  const i = lockPath.lastIndexOf('node_modules/')
  return i === -1 ? lockPath : lockPath.slice(i + 'node_modules/'.length)
}

export function checkInstallScripts(lock: Lockfile, manifest: Manifest): InstallScriptReport {
  const allow = manifest.allowScripts ?? {}
  const names = Object.entries(lock.packages ?? {})
    .filter(([lockPath, meta]) => lockPath !== '' && meta.hasInstallScript === true)
    .map(([lockPath]) => packageName(lockPath))
  const withScripts = [...new Set(names)].sort()
  return {
    withScripts,
    unlisted: withScripts.filter((name) => !Object.hasOwn(allow, name)),
    denied: withScripts.filter((name) => allow[name] === false),
    stale: Object.keys(allow)
      .filter((name) => !withScripts.includes(name))
      .sort(),
  }
}

/** The CLI: prints one line per problem and returns the exit code. */
export function runCheck(root: string, out: (line: string) => void, err: (line: string) => void): number {
  const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as Lockfile
  const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as Manifest
  const { withScripts, unlisted, denied, stale } = checkInstallScripts(lock, manifest)
  for (const name of unlisted) err(`not allowed: ${name} has an install script and is not in package.json allowScripts`)
  for (const name of denied) err(`denied: ${name} has an install script and allowScripts sets it to false`)
  for (const name of stale) err(`stale: ${name} is in allowScripts but no locked package of that name has an install script; remove it`)
  if (unlisted.length + denied.length + stale.length > 0) return 1
  out(`install scripts: ${withScripts.length} packages, all allow-listed (${withScripts.join(', ')})`)
  return 0
}

const self = fileURLToPath(import.meta.url)
if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === self) {
  process.exitCode = runCheck(
    path.resolve(path.dirname(self), '..'),
    (line) => process.stdout.write(`${line}\n`),
    (line) => process.stderr.write(`${line}\n`),
  )
}
