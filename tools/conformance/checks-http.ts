// Checks that need no account: response headers on success and error answers, CORS, error
// leakage, TRACE and security.txt (TLS versions: checks-tls.ts).
import { CannotCheck, type Check, type CheckContext, nonce, sendRoute } from './check.js'
import { header, type ProbeResponse } from './http.js'

const EVIL_ORIGIN = 'https://conformance-evil.example'
const HSTS_MIN_SECONDS = 31_536_000
const SAFE_REFERRER = /^(no-referrer|same-origin|strict-origin|strict-origin-when-cross-origin)$/

/** The headers ASVS 5.0 V3.4 asks of every answer, success or error. */
function headerProblems(res: ProbeResponse, label: string, https: boolean): string[] {
  const problems: string[] = []
  const csp = header(res, 'content-security-policy')
  if (!csp) problems.push(`${label}: no Content-Security-Policy (V3.4.3)`)
  else if (!/frame-ancestors\s+('none'|'self')/.test(csp)) problems.push(`${label}: CSP without frame-ancestors 'none' or 'self' (V3.4.6)`)
  if (header(res, 'x-content-type-options')?.toLowerCase() !== 'nosniff') problems.push(`${label}: X-Content-Type-Options is not nosniff (V3.4.4)`)
  const referrer = header(res, 'referrer-policy')?.split(',').pop()?.trim().toLowerCase()
  if (!referrer || !SAFE_REFERRER.test(referrer)) problems.push(`${label}: Referrer-Policy missing or leaky (${referrer ?? 'none'}) (V3.4.5)`)
  const hsts = header(res, 'strict-transport-security')
  const maxAge = Number(/max-age=(\d+)/i.exec(hsts ?? '')?.[1] ?? '0')
  if (hsts !== undefined && maxAge < HSTS_MIN_SECONDS) problems.push(`${label}: HSTS max-age ${maxAge} < ${HSTS_MIN_SECONDS} (V3.4.1)`)
  if (hsts === undefined && https) problems.push(`${label}: no Strict-Transport-Security over https (V3.4.1)`)
  return problems
}

function isHttps(ctx: CheckContext): boolean {
  return ctx.prober.base.protocol === 'https:'
}

export const headersOnSuccess: Check = {
  id: 'headers-success',
  title: 'Security headers on a successful answer',
  standards: ['V3.4.1', 'V3.4.3', 'V3.4.4', 'V3.4.5', 'V3.4.6'],
  control: 'Security headers',
  needs: [],
  async run(ctx) {
    const res = await sendRoute(ctx, ctx.profile.root, { nonce: nonce() })
    const problems = res.status < 400 ? [] : [`${ctx.profile.root.path} answered ${res.status}, not a success`]
    problems.push(...headerProblems(res, `${ctx.profile.root.method} ${ctx.profile.root.path}`, isHttps(ctx)))
    return { problems, notes: [`${ctx.profile.root.path}: ${res.status}`] }
  },
}

interface ErrorAnswer {
  label: string
  res: ProbeResponse
  /** The answer came from the error path the probe aims at. */
  reached: boolean
}

/** A 404, a malformed JSON body and a bad URL escape: three error paths frameworks handle apart. */
async function errorAnswers(ctx: CheckContext): Promise<ErrorAnswer[]> {
  const missing = `/conformance-${nonce()}-missing`
  const login = ctx.profile.login
  const notFound = await ctx.prober.send({ method: 'GET', path: missing })
  const broken = await ctx.prober.send({ method: login.method, path: login.path, headers: { 'content-type': 'application/json' }, body: '{"email": ' })
  const badEscape = await ctx.prober.send({ method: 'GET', path: '/%E0%A4%A' })
  return [
    { label: `GET ${missing}`, res: notFound, reached: notFound.status >= 400 },
    // Only a JSON route's parser can refuse the body: a 404 or 405 means the login is elsewhere.
    {
      label: `${login.method} ${login.path} with broken JSON`,
      res: broken,
      reached: broken.status >= 400 && broken.status < 500 && ![404, 405].includes(broken.status),
    },
    { label: 'GET /%E0%A4%A', res: badEscape, reached: badEscape.status >= 400 },
  ]
}

/** What to throw when a probe got no error answer (a catch-all page, a login the API lacks): there was nothing to read. */
function unreached(answers: ErrorAnswer[]): CannotCheck | undefined {
  const missed = answers.filter((a) => !a.reached)
  if (missed.length === 0) return undefined
  const list = missed.map((a) => `${a.label}: ${a.res.status}`).join(', ')
  return new CannotCheck(`not an error answer (${list}): the error paths were not reached; check --url and --profile`)
}

export const headersOnError: Check = {
  id: 'headers-error',
  title: 'Security headers on error answers (404, 400)',
  standards: ['V3.4.1', 'V3.4.3', 'V3.4.4', 'V3.4.5', 'V3.4.6'],
  control: 'Security headers',
  needs: [],
  async run(ctx) {
    const answers = await errorAnswers(ctx)
    const problems = answers.flatMap(({ label, res }) => headerProblems(res, `${label} (${res.status})`, isHttps(ctx)))
    const missed = unreached(answers)
    if (problems.length === 0 && missed) throw missed
    return { problems, notes: answers.map(({ label, res }) => `${label}: ${res.status}`) }
  },
}

const LEAKS: [RegExp, string][] = [
  [/\bat [\w.<>$]+ \(?(?:file:\/\/)?\/?[\w./-]+:\d+:\d+\)?/, 'a stack trace'],
  [/node_modules\//, 'a node_modules path'],
  [/Traceback \(most recent call last\)/, 'a Python traceback'],
  [/syntax error at or near|SQLSTATE|ORA-\d{5}|SQLITE_\w+|ER_\w+_ERROR/, 'database error text'],
  [/Unexpected token|Unexpected end of JSON input|in JSON at position/, "the JSON parser's message"],
]

export const errorLeakage: Check = {
  id: 'error-leakage',
  title: 'No stack trace, library message or version in errors and banners',
  standards: ['V16.5.1', 'V13.4.2', 'V13.4.6'],
  control: 'Error model',
  needs: [],
  async run(ctx) {
    const errors = await errorAnswers(ctx)
    const answers = [...errors, { label: 'GET root', res: await sendRoute(ctx, ctx.profile.root, { nonce: nonce() }) }]
    const problems: string[] = []
    for (const { label, res } of answers) {
      for (const [pattern, what] of LEAKS) if (pattern.test(res.body)) problems.push(`${label} (${res.status}): the body holds ${what} (V16.5.1)`)
      const powered = header(res, 'x-powered-by')
      if (powered) problems.push(`${label}: X-Powered-By: ${powered} (V13.4.6)`)
      const server = header(res, 'server')
      if (server && /\d/.test(server)) problems.push(`${label}: Server banner with a version: ${server} (V13.4.6)`)
    }
    const missed = unreached(errors)
    if (problems.length === 0 && missed) throw missed
    return { problems: [...new Set(problems)] }
  },
}

export const trace: Check = {
  id: 'trace',
  title: 'TRACE is not served and echoes nothing',
  standards: ['V13.4.4'],
  control: 'Error model',
  needs: [],
  async run(ctx) {
    const marker = `conformance-${nonce()}`
    const res = await ctx.prober.send({ method: 'TRACE', path: ctx.profile.root.path, headers: { 'x-conformance-echo': marker } })
    const problems: string[] = []
    if (res.status < 400) problems.push(`TRACE ${ctx.profile.root.path} answered ${res.status} (V13.4.4)`)
    if (res.body.includes(marker)) problems.push('TRACE echoed the request headers back (cross-site tracing)')
    return { problems, notes: [`TRACE: ${res.status}`] }
  },
}

export const cors: Check = {
  id: 'cors',
  title: 'CORS does not reflect a foreign origin',
  standards: ['V3.4.2'],
  control: 'CSRF',
  needs: [],
  async run(ctx) {
    const problems: string[] = []
    const probes: { label: string; method: string; path: string; headers: Record<string, string> }[] = [
      { label: `GET ${ctx.profile.root.path}`, method: 'GET', path: ctx.profile.root.path, headers: {} },
      { label: `GET ${ctx.profile.me.path}`, method: 'GET', path: ctx.profile.me.path, headers: {} },
      {
        label: `preflight ${ctx.profile.login.path}`,
        method: 'OPTIONS',
        path: ctx.profile.login.path,
        headers: { 'access-control-request-method': ctx.profile.login.method, 'access-control-request-headers': 'content-type' },
      },
    ]
    for (const origin of [EVIL_ORIGIN, 'null']) {
      for (const p of probes) {
        const res = await ctx.prober.send({ method: p.method, path: p.path, headers: { origin, ...p.headers } })
        const allowed = header(res, 'access-control-allow-origin')
        const credentials = header(res, 'access-control-allow-credentials') === 'true'
        if (allowed === origin) problems.push(`${p.label}: Origin ${origin} reflected${credentials ? ' with credentials allowed' : ''} (V3.4.2)`)
        else if (allowed === '*' && credentials) problems.push(`${p.label}: wildcard origin with credentials (V3.4.2)`)
      }
    }
    return { problems }
  },
}

export const securityTxt: Check = {
  id: 'security-txt',
  title: 'security.txt (RFC 9116) with Contact and a future Expires',
  standards: ['RFC 9116'],
  control: 'security.txt',
  needs: [],
  async run(ctx) {
    const res = await sendRoute(ctx, ctx.profile.securityTxt, {})
    if (res.status !== 200) return { problems: [`${ctx.profile.securityTxt.path} answered ${res.status}`] }
    const problems: string[] = []
    if (!/^text\/plain/i.test(header(res, 'content-type') ?? '')) problems.push('not served as text/plain')
    if (!/^Contact:\s*\S+/im.test(res.body)) problems.push('no Contact field')
    const expires = /^Expires:\s*(.+)$/im.exec(res.body)?.[1]
    const at = expires === undefined ? Number.NaN : Date.parse(expires)
    if (Number.isNaN(at)) problems.push('no valid Expires field')
    else if (at < Date.now()) problems.push(`Expires ${expires ?? ''} is in the past`)
    else if (at > Date.now() + 366 * 86_400_000) problems.push('Expires more than a year ahead (RFC 9116 §2.5.5)')
    return { problems }
  },
}
