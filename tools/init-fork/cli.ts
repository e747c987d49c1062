// npm run init-fork -- --name acme --origin https://app.acme.com --token-prefix acme --contact security@acme.com [--app-name "Acme"]
// Missing values are asked for on a terminal. Exit 0 done, 1 refused (ran before, dirty tree, not
// a clone of the starter, bad value), 2 usage error (or a failure, printed without the usage).
import { createInterface } from 'node:readline/promises'
import { parseArgs } from 'node:util'
import { type ForkOptions, ForkRefused, initFork } from './init-fork.js'

const USAGE = 'usage: npm run init-fork -- --name <slug> --origin <https origin> --token-prefix <prefix> --contact <security email> [--app-name "<Name>"]'

class UsageError extends Error {}

/** Unknown or malformed flags (parseArgs) and missing ones: the errors the usage line answers. */
function isUsageError(err: unknown): boolean {
  return err instanceof UsageError || String((err as { code?: unknown } | undefined)?.code).startsWith('ERR_PARSE_ARGS_')
}

function titleCase(slug: string): string {
  return slug
    .split('-')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join(' ')
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      name: { type: 'string' },
      'app-name': { type: 'string' },
      origin: { type: 'string' },
      'token-prefix': { type: 'string' },
      contact: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  })
  if (values.help) {
    console.log(USAGE)
    return 0
  }
  const answers: Record<string, string | undefined> = { ...values, help: undefined }
  const questions: [string, string, () => string | undefined][] = [
    ['name', 'Project name (npm package, lower case)', () => undefined],
    ['app-name', 'App name (mails, TOTP issuer)', () => (answers.name ? titleCase(answers.name) : undefined)],
    ['origin', 'Production origin (https://...)', () => undefined],
    ['token-prefix', 'API token prefix (2-10 lower-case letters/digits)', () => answers.name?.replace(/[^a-z0-9]/g, '').slice(0, 10)],
    ['contact', 'Security contact email', () => undefined],
  ]
  const missing = questions.filter(([key]) => key !== 'app-name' && !answers[key])
  if (missing.length > 0 && !process.stdin.isTTY) throw new UsageError(`missing ${missing.map(([k]) => `--${k}`).join(', ')}`)
  if (missing.length > 0) {
    const rl = createInterface({ input: process.stdin, output: process.stdout })
    try {
      for (const [key, label, suggest] of questions) {
        if (answers[key]) continue
        const fallback = suggest()
        const reply = (await rl.question(`${label}${fallback ? ` [${fallback}]` : ''}: `)).trim()
        answers[key] = reply || fallback
      }
    } finally {
      rl.close()
    }
  }
  const options: ForkOptions = {
    name: answers.name ?? '',
    appName: answers['app-name'] ?? titleCase(answers.name ?? ''),
    origin: answers.origin ?? '',
    tokenPrefix: answers['token-prefix'] ?? '',
    contact: answers.contact ?? '',
  }
  try {
    const result = await initFork(process.cwd(), options)
    console.log(
      `init-fork: ${options.appName} (${options.name}) — rewrote ${result.changedFiles.length} files, generated fresh development secrets, wrote .fork.json\n`,
    )
    console.log('Still for a human to decide:')
    for (const line of result.checklist) console.log(line.startsWith('  ') ? `     ${line.trim()}` : `  [ ] ${line}`)
    return 0
  } catch (err) {
    if (err instanceof ForkRefused) {
      console.error(`init-fork refused: ${err.message}`)
      return 1
    }
    throw err
  }
}

main().then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    console.error(`init-fork: ${err instanceof Error ? err.message : String(err)}${isUsageError(err) ? `\n${USAGE}` : ''}`)
    process.exitCode = 2
  },
)
