// npm run conformance -- --url <base> [--profile file] [--format text|markdown|json] [--i-own-this-host]
// Exit 0 when no check failed, 1 when one did, 2 on a usage error, 3 when the run could not check
// (a CI gate must not turn green on a run that tested nothing). The account for the checks that
// sign in comes from CONFORMANCE_EMAIL and CONFORMANCE_PASSWORD (never a flag: argv is visible to
// every local user and lands in shell history). conformanceCli is the whole program, so a test can
// run it in-process; the last lines run it when this file is the process's entry.
import { realpathSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { loadProfile } from './profile.js'
import { formatReport, type Format } from './report.js'
import { CannotReach, CHECKS, DEFAULTS, runConformance } from './run.js'

/** 3 wins over 1: a run that could not check everything says so first, though its failures are real. */
const EXIT = { pass: 0, fail: 1, usage: 2, couldNotCheck: 3 } as const

const USAGE = `usage: npm run conformance -- --url <base URL> [options]
  --profile <file>            JSON profile of another API's routes (default: this starter's)
  --format text|markdown|json report format (default text)
  --i-own-this-host           allow the throttling and enumeration probes off loopback
  --budget <n>                most requests to send (default ${DEFAULTS.budget})
  --delay-ms <n>              pause before each request (default ${DEFAULTS.delayMs})
  --timeout-ms <n>            per request (default ${DEFAULTS.timeoutMs})
  --samples <n>               timing samples per side for enumeration (default ${DEFAULTS.timingSamples})
  --timing-threshold-ms <n>   a known/unknown timing gap above this fails (default ${DEFAULTS.timingThresholdMs})
  --account-attempts <n>      wrong passwords for one address before giving up (default ${DEFAULTS.accountAttempts})
  --address-attempts <n>      wrong logins across addresses before giving up (default ${DEFAULTS.addressAttempts})
  --only <id,id>              run only these checks: ${CHECKS.map((c) => c.id).join(', ')}
  --insecure-tls              accept a certificate that does not verify (a test setup's own)
environment: CONFORMANCE_EMAIL, CONFORMANCE_PASSWORD (a verified account without a second factor)
exit: 0 no check failed, 1 a check failed, 2 usage error, 3 could not check (the URL cannot be reached,
  its certificate does not verify, the account cannot log in, a route does not answer like the
  profile's, or every selected check was skipped); the reason is printed on stderr`

function int(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a whole number`)
  return n
}

/** Where the CLI writes: the process's stdout and stderr, or a test's buffers. */
export interface CliIo {
  out: (text: string) => void
  err: (text: string) => void
}

type Env = Readonly<Record<string, string | undefined>>

async function main(args: string[], env: Env, io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      url: { type: 'string' },
      profile: { type: 'string' },
      format: { type: 'string', default: 'text' },
      'i-own-this-host': { type: 'boolean', default: false },
      budget: { type: 'string' },
      'delay-ms': { type: 'string' },
      'timeout-ms': { type: 'string' },
      samples: { type: 'string' },
      'timing-threshold-ms': { type: 'string' },
      'account-attempts': { type: 'string' },
      'address-attempts': { type: 'string' },
      only: { type: 'string' },
      'insecure-tls': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  })
  if (values.help) {
    io.out(`${USAGE}\n`)
    return EXIT.pass
  }
  if (!values.url) throw new Error('--url is required')
  const format = values.format as Format
  if (!['text', 'markdown', 'json'].includes(format)) throw new Error('--format must be text, markdown or json')
  const email = env.CONFORMANCE_EMAIL
  const password = env.CONFORMANCE_PASSWORD
  const report = await runConformance({
    url: values.url,
    ...(values.profile ? { profile: await loadProfile(values.profile) } : {}),
    ...(email && password ? { credentials: { email, password } } : {}),
    ownsHost: values['i-own-this-host'],
    budget: int(values.budget, 'budget'),
    delayMs: int(values['delay-ms'], 'delay-ms'),
    timeoutMs: int(values['timeout-ms'], 'timeout-ms'),
    timingSamples: int(values.samples, 'samples'),
    timingThresholdMs: int(values['timing-threshold-ms'], 'timing-threshold-ms'),
    accountAttempts: int(values['account-attempts'], 'account-attempts'),
    addressAttempts: int(values['address-attempts'], 'address-attempts'),
    insecureTls: values['insecure-tls'],
    ...(values.only ? { only: values.only.split(',').map((s) => s.trim()) } : {}),
  })
  io.out(formatReport(report, format))
  for (const reason of report.couldNotCheck) io.err(`conformance: could not check: ${reason}\n`)
  if (report.couldNotCheck.length > 0) return EXIT.couldNotCheck
  return report.summary.fail > 0 ? EXIT.fail : EXIT.pass
}

/** Runs the CLI on `args`; resolves to its exit code (2 with the usage on stderr for a usage error). */
export async function conformanceCli(args: string[], env: Env, io: CliIo): Promise<number> {
  try {
    return await main(args, env, io)
  } catch (err: unknown) {
    if (err instanceof CannotReach) {
      io.err(`conformance: ${err.message}\n`)
      return EXIT.couldNotCheck
    }
    io.err(`conformance: ${err instanceof Error ? err.message : String(err)}\n\n${USAGE}\n`)
    return EXIT.usage
  }
}

const entry = process.argv[1]
if (entry !== undefined && import.meta.url === pathToFileURL(realpathSync(entry)).href) {
  process.exitCode = await conformanceCli(process.argv.slice(2), process.env, {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
  })
}
