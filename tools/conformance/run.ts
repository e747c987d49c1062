// Runs the checks in a fixed order (read-only first, then the ones that end sessions, then the
// ones that lock addresses) and turns each result into a finding. Nothing here reads argv or env.
import { type Check, type CheckContext, type Credentials, type Finding } from './check.js'
import { cors, errorLeakage, headersOnError, headersOnSuccess, securityTxt, tlsVersions, trace } from './checks-http.js'
import { enumerationLogin, enumerationRegister, enumerationReset, throttleAccount, throttleAddress } from './checks-abuse.js'
import { CannotRun, cacheControl, cookieAttributes, csrf, sessionReplay, tokenFormat } from './checks-session.js'
import { BudgetExhausted, isLoopback, Prober } from './http.js'
import { STARTER_PROFILE, type Profile } from './profile.js'

export const CHECKS: readonly Check[] = [
  headersOnSuccess,
  headersOnError,
  errorLeakage,
  trace,
  cors,
  securityTxt,
  tlsVersions,
  cookieAttributes,
  cacheControl,
  tokenFormat,
  sessionReplay,
  csrf,
  enumerationRegister,
  enumerationLogin,
  enumerationReset,
  throttleAccount,
  throttleAddress,
]

export interface ConformanceOptions {
  url: string
  profile?: Profile
  credentials?: Credentials
  /** The operator says the host is theirs: throttling and enumeration probes may run off loopback. */
  ownsHost?: boolean
  budget?: number
  delayMs?: number
  timeoutMs?: number
  insecureTls?: boolean
  timingSamples?: number
  timingThresholdMs?: number
  accountAttempts?: number
  addressAttempts?: number
  /** Check ids to run; all when unset. */
  only?: string[]
}

export interface Report {
  target: string
  profile: string
  startedAt: string
  requests: number
  budget: number
  findings: Finding[]
  summary: Record<'pass' | 'fail' | 'skip', number>
}

export const DEFAULTS = {
  budget: 400,
  delayMs: 0,
  timeoutMs: 10_000,
  timingSamples: 5,
  timingThresholdMs: 100,
  accountAttempts: 20,
  addressAttempts: 80,
} as const

export async function runConformance(opts: ConformanceOptions): Promise<Report> {
  const base = new URL(opts.url)
  if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new Error('--url must be http:// or https://')
  const prober = new Prober(base, {
    budget: opts.budget ?? DEFAULTS.budget,
    delayMs: opts.delayMs ?? DEFAULTS.delayMs,
    timeoutMs: opts.timeoutMs ?? DEFAULTS.timeoutMs,
    insecureTls: opts.insecureTls ?? false,
  })
  const ctx: CheckContext = {
    prober,
    profile: opts.profile ?? STARTER_PROFILE,
    credentials: opts.credentials,
    hostAllowed: isLoopback(base) || opts.ownsHost === true,
    timing: { samples: opts.timingSamples ?? DEFAULTS.timingSamples, thresholdMs: opts.timingThresholdMs ?? DEFAULTS.timingThresholdMs },
    throttle: { accountAttempts: opts.accountAttempts ?? DEFAULTS.accountAttempts, addressAttempts: opts.addressAttempts ?? DEFAULTS.addressAttempts },
    shared: {},
  }
  const unknown = (opts.only ?? []).filter((id) => !CHECKS.some((c) => c.id === id))
  if (unknown.length > 0) throw new Error(`unknown check: ${unknown.join(', ')}`)
  const startedAt = new Date().toISOString()
  const findings: Finding[] = []
  for (const check of CHECKS) {
    if (opts.only && !opts.only.includes(check.id)) continue
    findings.push(await runOne(check, ctx))
  }
  const summary = { pass: 0, fail: 0, skip: 0 }
  for (const f of findings) summary[f.outcome] += 1
  return { target: base.origin, profile: ctx.profile.name, startedAt, requests: prober.used, budget: prober.opts.budget, findings, summary }
}

async function runOne(check: Check, ctx: CheckContext): Promise<Finding> {
  const base = { id: check.id, title: check.title, standards: check.standards, control: check.control }
  const before = ctx.prober.used
  const skip = (reason: string): Finding => ({ ...base, outcome: 'skip', problems: [reason], notes: [], requests: ctx.prober.used - before })
  if (check.needs.includes('account') && !ctx.credentials) return skip('needs an account: set CONFORMANCE_EMAIL and CONFORMANCE_PASSWORD')
  if (check.needs.includes('allowed-host') && !ctx.hostAllowed) return skip('refused: the host is not loopback; pass --i-own-this-host if it is yours')
  try {
    const result = await check.run(ctx)
    if (result.skipped !== undefined) return skip(result.skipped)
    return {
      ...base,
      outcome: result.problems.length > 0 ? 'fail' : 'pass',
      problems: result.problems,
      notes: result.notes ?? [],
      requests: ctx.prober.used - before,
    }
  } catch (err) {
    if (err instanceof BudgetExhausted || err instanceof CannotRun) return skip(err.message)
    return {
      ...base,
      outcome: 'fail',
      problems: [`the check could not complete: ${err instanceof Error ? err.message : String(err)}`],
      notes: [],
      requests: ctx.prober.used - before,
    }
  }
}
