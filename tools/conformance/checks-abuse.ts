// Probes an attacker would run: does register, login or reset tell a known address from an unknown
// one (status, body or time), and does login stop guessing per account and per client address?
// They create accounts and lock addresses, so they run only against loopback or --i-own-this-host.
import { CannotCheck, type Check, type CheckContext, isSuccess, sendRoute, strangerPassword, unknownEmail } from './check.js'
import { CannotRun } from './checks-session.js'
import { header, type ProbeResponse } from './http.js'
import type { Profile, Route } from './profile.js'

/** Ids, times and numbers vary between any two answers; what is left must be equal. */
function normalise(body: string): string {
  return body
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '<uuid>')
    .replace(/\d{4}-\d\d-\d\dT[\d:.]+Z?/g, '<time>')
    .replace(/\d+/g, '<n>')
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? 0
}

interface Side {
  status: Set<number>
  bodies: Set<string>
  ms: number[]
  /** The first answer no route of an API would give (see offRoute), as "<status> <content type>". */
  offRoute?: string
}

/**
 * Why an answer cannot come from the profile's route: missing (404, 405, 501), broken (5xx),
 * throttled (429), or a body that is not JSON (an HTML page in front of the API). Undefined when it can.
 */
function offRoute(res: ProbeResponse): string | undefined {
  const type = header(res, 'content-type')?.split(';')[0]?.trim().toLowerCase()
  const json = type === 'application/json' || (type?.startsWith('application/') === true && type.endsWith('+json'))
  const unusable = [404, 405, 501].includes(res.status) || res.status === 429 || res.status >= 500
  if (unusable || (res.body.length > 0 && !json)) return `${res.status} ${type ?? 'without a content type'}`
  return undefined
}

/** Sends `samples` requests for the known and for unknown addresses, interleaved so drift hits both. */
async function compare(
  ctx: CheckContext,
  route: Route,
  known: () => Record<string, string>,
  unknown: () => Record<string, string>,
): Promise<{ known: Side; unknown: Side }> {
  const sides = {
    known: { status: new Set<number>(), bodies: new Set<string>(), ms: [] as number[] },
    unknown: { status: new Set<number>(), bodies: new Set<string>(), ms: [] as number[] },
  }
  const record = (side: Side, res: ProbeResponse) => {
    side.offRoute ??= offRoute(res)
    side.status.add(res.status)
    side.bodies.add(normalise(res.body))
    side.ms.push(res.ms)
  }
  // One unmeasured pair first: the first request of a route pays for cold caches.
  await sendRoute(ctx, route, unknown())
  for (let i = 0; i < ctx.timing.samples; i += 1) {
    record(sides.known, await sendRoute(ctx, route, known()))
    record(sides.unknown, await sendRoute(ctx, route, unknown()))
  }
  return sides
}

function verdict(ctx: CheckContext, what: string, s: { known: Side; unknown: Side }): { problems: string[]; notes: string[] } {
  const problems: string[] = []
  const fmt = (set: Set<number>) => [...set].join('/')
  if (fmt(s.known.status) !== fmt(s.unknown.status))
    problems.push(`${what}: status ${fmt(s.known.status)} for a known address, ${fmt(s.unknown.status)} for an unknown one`)
  else if ([...s.known.bodies].join('\n') !== [...s.unknown.bodies].join('\n'))
    problems.push(`${what}: the body differs between a known and an unknown address`)
  const [mk, mu] = [median(s.known.ms), median(s.unknown.ms)]
  // Slower or faster, the two sets of timings must overlap or stay within the threshold.
  const apart = Math.min(...s.known.ms) > Math.max(...s.unknown.ms) || Math.max(...s.known.ms) < Math.min(...s.unknown.ms)
  if (apart && Math.abs(mk - mu) > ctx.timing.thresholdMs) {
    problems.push(`${what}: a known address takes ${mk.toFixed(0)} ms, an unknown one ${mu.toFixed(0)} ms (median of ${ctx.timing.samples}, no overlap)`)
  }
  return { problems, notes: [`${what}: known ${fmt(s.known.status)} ~${mk.toFixed(0)} ms, unknown ${fmt(s.unknown.status)} ~${mu.toFixed(0)} ms`] }
}

function knownEmail(ctx: CheckContext): string {
  if (!ctx.credentials) throw new CannotRun('no account (set CONFORMANCE_EMAIL and CONFORMANCE_PASSWORD)')
  return ctx.credentials.email
}

type AccountRoute = 'register' | 'login' | 'passwordReset'

const enumeration = (id: string, key: AccountRoute, label: string, standards: string[]): Check => ({
  id: `enumeration-${id}`,
  title: `${label} does not tell whether an address has an account`,
  standards,
  control: 'No account enumeration',
  needs: ['account', 'allowed-host'],
  async run(ctx) {
    const email = knownEmail(ctx)
    const r = ctx.profile[key]
    const sides = await compare(
      ctx,
      r,
      () => ({ email, password: strangerPassword(email) }),
      () => {
        const stranger = unknownEmail(ctx, id)
        return { email: stranger, password: strangerPassword(stranger) }
      },
    )
    const result = verdict(ctx, `${r.method} ${r.path}`, sides)
    // A difference is seen whatever the route; sameness is only evidence from the route itself.
    if (result.problems.length === 0 && sides.known.offRoute !== undefined) throw notLike(ctx.profile, key, sides.known.offRoute)
    return result
  },
})

function notLike(profile: Profile, key: AccountRoute, answer: string): CannotCheck {
  const r = profile[key]
  return new CannotCheck(`${r.method} ${r.path} does not answer like the profile's ${key} route (${answer}): check --profile`)
}

export const enumerationRegister = enumeration('register', 'register', 'Sign-up', ['V6.3.8'])
export const enumerationLogin = enumeration('login', 'login', 'Login', ['V6.3.8'])
export const enumerationReset = enumeration('reset', 'passwordReset', 'Password reset', ['V6.3.8'])

/** Wrong passwords until the service answers 429 (or 423); returns the attempt that was refused. */
async function guessUntilRefused(ctx: CheckContext, attempts: number, email: () => string): Promise<{ refusedAt: number | null; last: ProbeResponse | null }> {
  let last: ProbeResponse | null = null
  for (let i = 1; i <= attempts; i += 1) {
    last = await sendRoute(ctx, ctx.profile.login, { email: email(), password: strangerPassword() })
    if (last.status === 429 || last.status === 423) return { refusedAt: i, last }
    // A login that lets a made-up password in is no login: a catch-all page, or the wrong route.
    if (isSuccess(last)) throw notLike(ctx.profile, 'login', `${last.status} to a made-up password`)
  }
  return { refusedAt: null, last }
}

export const throttleAccount: Check = {
  id: 'throttle-account',
  title: 'Login stops guessing on one account',
  standards: ['V6.3.1'],
  control: 'Login throttling',
  needs: ['allowed-host'],
  async run(ctx) {
    // A made-up address, so the real account is never locked out; a service that only throttles
    // accounts that exist tells attackers which ones do (see enumeration-login).
    const target = unknownEmail(ctx, 'throttle')
    const { refusedAt, last } = await guessUntilRefused(ctx, ctx.throttle.accountAttempts, () => target)
    if (refusedAt === null) return { problems: [`${ctx.throttle.accountAttempts} wrong passwords for one email, none refused (last: ${last?.status ?? '-'})`] }
    const notes = [`refused at attempt ${refusedAt}${last && header(last, 'retry-after') ? `, Retry-After ${header(last, 'retry-after') ?? ''}` : ''}`]
    const other = await sendRoute(ctx, ctx.profile.login, { email: unknownEmail(ctx, 'other'), password: strangerPassword() })
    if (other.status === 429) notes.push('another email was refused too: the limit may be per client address only')
    return { problems: [], notes }
  },
}

export const throttleAddress: Check = {
  id: 'throttle-address',
  title: 'Login stops guessing from one client address across accounts',
  standards: ['V6.3.1', 'V2.4.1'],
  control: 'Login throttling',
  needs: ['allowed-host'],
  async run(ctx) {
    const { refusedAt, last } = await guessUntilRefused(ctx, ctx.throttle.addressAttempts, () => unknownEmail(ctx, 'spray'))
    if (refusedAt === null)
      return {
        problems: [`${ctx.throttle.addressAttempts} wrong logins from this client across different emails, none refused (last: ${last?.status ?? '-'})`],
      }
    return { problems: [], notes: [`refused at attempt ${refusedAt}`] }
  },
}
