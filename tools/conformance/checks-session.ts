// Checks that sign in with the account given in the environment: cookie attributes, the format of
// what the service issues, session replay after logout, CSRF on a cookie-authenticated change.
import { CannotCheck, type Check, type CheckContext, type CheckResult, isSuccess, nonce, sendRoute } from './check.js'
import { cookieHeader, header, parseSetCookie, type ProbeResponse, type SetCookie } from './http.js'

const EVIL_ORIGIN = 'https://conformance-evil.example'

/** Thrown when a check cannot run by the operator's choice (no account given); the runner skips it. */
export class CannotRun extends Error {}

interface Session {
  res: ProbeResponse
  cookie: SetCookie
  /** The Cookie header to send back. */
  header: string
}

/** Logs in with the configured account; a fresh session unless `shared` is asked. Throws CannotCheck without one. */
export async function signIn(ctx: CheckContext, shared = false): Promise<Session> {
  const creds = ctx.credentials
  if (!creds) throw new CannotRun('no account (set CONFORMANCE_EMAIL and CONFORMANCE_PASSWORD)')
  const res = shared && ctx.shared.login ? ctx.shared.login : await sendRoute(ctx, ctx.profile.login, { email: creds.email, password: creds.password })
  if (shared) ctx.shared.login = res
  if (!isSuccess(res)) throw new CannotCheck(`the account ${creds.email} could not log in (${res.status}: ${res.body.slice(0, 120)})`)
  const cookies = res.setCookies.map(parseSetCookie).filter((c) => c.value !== '')
  // The profile's cookie name, else the first cookie set: an API that renamed it is still tested.
  const cookie = cookies.find((c) => c.name === ctx.profile.sessionCookie) ?? cookies[0]
  if (!cookie) {
    const second = /mfa/i.test(res.body) ? ' (the account asks for a second factor: use one without)' : ''
    const type = header(res, 'content-type') ?? 'no content type'
    throw new CannotCheck(`the account ${creds.email} could not log in: the login set no session cookie (${res.status} ${type})${second}; check --profile`)
  }
  return { res, cookie, header: cookieHeader(res.setCookies) }
}

/** Bits an attacker must guess, at best: length times log2 of the smallest alphabet that fits. */
export function estimatedBits(value: string): number {
  const alphabet = /^\d+$/.test(value) ? 10 : /^[0-9a-f]+$/i.test(value) ? 16 : /^[0-9A-Za-z]+$/.test(value) ? 62 : /^[\w-]+$/.test(value) ? 64 : 94
  return Math.floor(value.length * Math.log2(alphabet))
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

function secretProblems(label: string, value: string): string[] {
  const problems: string[] = []
  if (UUID.test(value)) problems.push(`${label} is a UUID: not a secret (V11.5.1)`)
  const bits = estimatedBits(value)
  if (bits < 128) problems.push(`${label} holds at most ${bits} bits (< 128, V11.5.1)`)
  return problems
}

export const cookieAttributes: Check = {
  id: 'cookies',
  title: 'Session cookie: __Host- prefix, Secure, HttpOnly, SameSite, no Domain',
  standards: ['V3.3.1', 'V3.3.2', 'V3.3.3', 'V3.3.4'],
  control: 'Sessions die on logout',
  needs: ['account'],
  async run(ctx) {
    const { res, cookie } = await signIn(ctx, true)
    const a = cookie.attributes
    const problems: string[] = []
    if (!a.has('secure')) problems.push(`${cookie.name}: no Secure (V3.3.1)`)
    if (!a.has('httponly')) problems.push(`${cookie.name}: no HttpOnly (V3.3.4)`)
    const sameSite = a.get('samesite')?.toLowerCase()
    if (sameSite !== 'lax' && sameSite !== 'strict') problems.push(`${cookie.name}: SameSite is ${sameSite ?? 'absent'} (V3.3.2)`)
    if (!cookie.name.startsWith('__Host-')) problems.push(`${cookie.name}: no __Host- prefix (V3.3.3)`)
    if (a.has('domain')) problems.push(`${cookie.name}: Domain=${a.get('domain') ?? ''} shares it with other hosts (V3.3.3)`)
    if (a.get('path') !== '/') problems.push(`${cookie.name}: Path is not / (V3.3.3)`)
    if (res.body.includes(cookie.value)) problems.push('the login body repeats the session secret (V3.3.4)')
    problems.push(...secretProblems(`${cookie.name}'s value`, decodeURIComponent(cookie.value)))
    return { problems, notes: [`Set-Cookie: ${cookie.name}=…; ${[...a.keys()].join('; ')}`] }
  },
}

export const cacheControl: Check = {
  id: 'cache-control',
  title: 'Authenticated answers are not cached',
  standards: ['V14.3.2'],
  control: 'Security headers',
  needs: ['account'],
  async run(ctx) {
    const session = await signIn(ctx, true)
    const res = await sendRoute(ctx, ctx.profile.me, {}, { cookie: session.header })
    if (!isSuccess(res)) throw new CannotCheck(`${ctx.profile.me.path} answered ${res.status} with a fresh session: check --profile`)
    const value = header(res, 'cache-control') ?? ''
    return { problems: /no-store/i.test(value) ? [] : [`${ctx.profile.me.path}: Cache-Control is "${value}", not no-store (V14.3.2)`] }
  },
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text)
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

export const tokenFormat: Check = {
  id: 'token-format',
  title: 'Issued API token: prefix, length, at least 128 random bits, not a UUID',
  standards: ['V11.5.1'],
  control: 'API tokens: format',
  needs: ['account'],
  async run(ctx): Promise<CheckResult> {
    const issue = ctx.profile.issueToken
    if (!issue) return { problems: [], skipped: 'the profile names no route that issues a token' }
    const session = await signIn(ctx, true)
    const res = await sendRoute(ctx, issue, { nonce: nonce() }, { cookie: session.header })
    if (!isSuccess(res)) throw new CannotCheck(`${issue.path} answered ${res.status}: check --profile`)
    const body = parseObject(res.body)
    if (!body) throw new CannotCheck(`${issue.path} answered ${res.status} ${header(res, 'content-type') ?? ''}, not a JSON object: check --profile`)
    const token = body[ctx.profile.tokenField]
    if (typeof token !== 'string') return { problems: [`the answer has no string field "${ctx.profile.tokenField}"`] }
    const id = body[ctx.profile.tokenIdField]
    if (ctx.profile.revokeToken && (typeof id === 'string' || typeof id === 'number')) {
      await sendRoute(ctx, ctx.profile.revokeToken, { id: String(id) }, { cookie: session.header })
    }
    const problems: string[] = []
    const prefixed = /^([a-z][a-z0-9]{1,9})_(.+)$/.exec(token)
    if (!prefixed) problems.push('no fixed prefix secret scanners can match (`<prefix>_...`)')
    problems.push(...secretProblems('the token', prefixed?.[2] ?? token))
    return { problems, notes: [`token shape: ${prefixed ? `${prefixed[1] ?? ''}_` : ''}<${(prefixed?.[2] ?? token).length} chars>`] }
  },
}

export const sessionReplay: Check = {
  id: 'session-replay',
  title: 'A session cookie stops working after logout',
  standards: ['V7.4.1'],
  control: 'Sessions die on logout',
  needs: ['account'],
  async run(ctx) {
    const session = await signIn(ctx)
    const before = await sendRoute(ctx, ctx.profile.me, {}, { cookie: session.header })
    if (!isSuccess(before)) throw new CannotCheck(`${ctx.profile.me.path} answered ${before.status} with a fresh session: check --profile`)
    const out = await sendRoute(ctx, ctx.profile.logout, {}, { cookie: session.header })
    const after = await sendRoute(ctx, ctx.profile.me, {}, { cookie: session.header })
    const problems = isSuccess(after) ? [`after logout (${out.status}) the old cookie still answers ${after.status} on ${ctx.profile.me.path} (V7.4.1)`] : []
    return { problems, notes: [`logout ${out.status}; replay ${after.status}`] }
  },
}

export const csrf: Check = {
  id: 'csrf',
  title: 'A cookie-authenticated state change is refused cross-site and as a simple request',
  standards: ['V3.5.1', 'V3.5.2'],
  control: 'CSRF',
  needs: ['account'],
  async run(ctx) {
    const session = await signIn(ctx)
    const target = ctx.profile.csrfTarget
    const body = JSON.stringify(target.body ?? {})
    const problems: string[] = []
    const probes: { label: string; headers: Record<string, string> }[] = [
      { label: `Origin: ${EVIL_ORIGIN}`, headers: { origin: EVIL_ORIGIN, 'content-type': 'application/json' } },
      { label: 'Content-Type: text/plain (a form can send it)', headers: { 'content-type': 'text/plain' } },
    ]
    const notes: string[] = []
    for (const p of probes) {
      const res = await ctx.prober.send({ method: target.method, path: target.path, headers: { cookie: session.header, ...p.headers }, body })
      notes.push(`${p.label}: ${res.status}`)
      if (res.status < 400) problems.push(`${target.method} ${target.path} with ${p.label} answered ${res.status} (V3.5.1)`)
      const still = await sendRoute(ctx, ctx.profile.me, {}, { cookie: session.header })
      if (!isSuccess(still)) {
        problems.push(`after ${target.method} ${target.path} with ${p.label}, the session no longer works: the change went through`)
        break
      }
    }
    await sendRoute(ctx, ctx.profile.logout, {}, { cookie: session.header })
    return { problems: [...new Set(problems)], notes }
  },
}
