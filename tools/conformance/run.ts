// Runs the checks in a fixed order (read-only first, then the ones that end sessions, then the
// ones that lock addresses) and turns each result into a finding. Before any check it sends one
// request (a base that cannot be reached stops the run) and, when a check needs the account, logs
// in once: what keeps a check from observing anything is said once, in couldNotCheck, never as a
// pass or as a row of raw errors. Nothing here reads argv or env.
import { CannotCheck, type Check, type CheckContext, type Credentials, type Finding, nonce, sendRoute } from './check.js'
import { cors, errorLeakage, headersOnError, headersOnSuccess, securityTxt, trace } from './checks-http.js'
import { tlsVersions } from './checks-tls.js'
import { enumerationLogin, enumerationRegister, enumerationReset, throttleAccount, throttleAddress } from './checks-abuse.js'
import { CannotRun, cacheControl, cookieAttributes, csrf, sessionReplay, signIn, tokenFormat } from './checks-session.js'
import { BudgetExhausted, certificateError, describeError, isLoopback, Prober } from './http.js'
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
  /** The base URL, path included. */
  target: string
  profile: string
  startedAt: string
  requests: number
  budget: number
  findings: Finding[]
  summary: Record<'pass' | 'fail' | 'skip', number>
  /** Why the run could not check what was asked (certificate, login, a route unlike the profile's,
   * nothing tested), one line each; empty when every selected check ran or was skipped by choice. */
  couldNotCheck: string[]
}

/** The base URL did not answer at all (refused, unknown name, timeout): no check was run. */
export class CannotReach extends Error {}

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
  const target = `${base.origin}${base.pathname.replace(/\/$/, '')}`
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
  const selected = CHECKS.filter((c) => !opts.only || opts.only.includes(c.id))
  const runnable = selected.filter((c) => refusal(c, ctx) === undefined)
  const run: RunState = { couldNotCheck: [] }
  // Nothing is sent when every selected check is refused before sending (off loopback, no account).
  const certificate = runnable.length > 0 ? await reach(ctx, target) : undefined
  if (certificate !== undefined && selected.some((c) => c !== tlsVersions)) {
    run.couldNotCheck.push(
      `the certificate of ${target} does not verify (${certificate}): no check but tls was run; to check a test setup with its own certificate, pass --insecure-tls`,
    )
  }
  if (certificate === undefined && ctx.credentials && runnable.some((c) => c.needs.includes('account'))) {
    run.account = await logIn(ctx)
    if (run.account !== undefined) run.couldNotCheck.push(run.account)
  }
  const findings: Finding[] = []
  for (const check of selected) {
    if (certificate !== undefined && check !== tlsVersions) continue
    findings.push(await runOne(check, ctx, run))
  }
  const summary = { pass: 0, fail: 0, skip: 0 }
  for (const f of findings) summary[f.outcome] += 1
  if (run.couldNotCheck.length === 0 && findings.every((f) => f.outcome === 'skip'))
    run.couldNotCheck.push('every selected check was skipped: nothing was tested')
  return {
    target,
    profile: ctx.profile.name,
    startedAt,
    requests: prober.used,
    budget: prober.opts.budget,
    findings,
    summary,
    couldNotCheck: run.couldNotCheck,
  }
}

interface RunState {
  /** Why the account could not log in, when it could not: the checks that need it are skipped. */
  account?: string
  couldNotCheck: string[]
}

/** Why a check is skipped before it sends anything, by the operator's choice; undefined when it may run. */
function refusal(check: Check, ctx: CheckContext): string | undefined {
  if (check.needs.includes('account') && !ctx.credentials) return 'needs an account: set CONFORMANCE_EMAIL and CONFORMANCE_PASSWORD'
  if (check.needs.includes('allowed-host') && !ctx.hostAllowed) return 'refused: the host is not loopback; pass --i-own-this-host if it is yours'
  return undefined
}

/**
 * One request to the profile's root before any check. Throws CannotReach when nothing answers;
 * resolves to why the certificate does not verify (only the tls check can then run), or undefined.
 */
async function reach(ctx: CheckContext, target: string): Promise<string | undefined> {
  try {
    await sendRoute(ctx, ctx.profile.root, { nonce: nonce() })
    return undefined
  } catch (err) {
    if (err instanceof BudgetExhausted) return undefined
    const certificate = certificateError(err)
    if (certificate !== undefined) return certificate
    throw new CannotReach(`cannot reach ${target}: ${describeError(err)}`)
  }
}

/** Logs in once for every check that needs the account; resolves to why it could not, or undefined. */
async function logIn(ctx: CheckContext): Promise<string | undefined> {
  try {
    await signIn(ctx, true)
    return undefined
  } catch (err) {
    // A spent budget skips each check on its own; anything else means no account check can observe.
    if (err instanceof BudgetExhausted) return undefined
    return err instanceof CannotCheck ? err.message : `the account could not log in: ${describeError(err)}`
  }
}

async function runOne(check: Check, ctx: CheckContext, run: RunState): Promise<Finding> {
  const base = { id: check.id, title: check.title, standards: check.standards, control: check.control }
  const before = ctx.prober.used
  const skip = (reason: string): Finding => ({ ...base, outcome: 'skip', problems: [reason], notes: [], requests: ctx.prober.used - before })
  const refused = refusal(check, ctx)
  if (refused !== undefined) return skip(refused)
  if (check.needs.includes('account') && run.account !== undefined) return skip(run.account)
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
    if (err instanceof CannotCheck) {
      run.couldNotCheck.push(`${check.id}: ${err.message}`)
      return skip(err.message)
    }
    return {
      ...base,
      outcome: 'fail',
      problems: [`the check could not complete: ${describeError(err)}`],
      notes: [],
      requests: ctx.prober.used - before,
    }
  }
}
