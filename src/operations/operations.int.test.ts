import { describe, expect, it } from 'vitest'
import { login } from '../testing/factories.js'
import { useTestApp } from '../testing/test-app.js'

describe('GET /.well-known/security.txt (RFC 9116)', () => {
  const t = useTestApp({ env: { SECURITY_CONTACT: 'mailto:security@acme.test', SECURITY_POLICY_URL: 'https://acme.test/security' } })

  it('serves Contact, a future Expires, Policy and Canonical as text/plain', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/.well-known/security.txt' })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8')
    expect(res.body).toMatch(/^Contact: mailto:security@acme\.test$/m)
    expect(res.body).toMatch(/^Policy: https:\/\/acme\.test\/security$/m)
    expect(res.body).toMatch(/^Canonical: http:\/\/localhost:3000\/\.well-known\/security\.txt$/m)
    const expires = /^Expires: (.+)$/m.exec(res.body)?.[1]
    const days = (new Date(expires!).getTime() - t.clock.now().getTime()) / 86_400_000
    expect(days).toBeGreaterThan(150)
    expect(days).toBeLessThan(366) // RFC 9116 §2.5.5: less than a year ahead
  })

  it('does not serve /metrics on the public listener by default', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(404)
  })
})

describe('GET /metrics when METRICS_PUBLIC=true', () => {
  const t = useTestApp({ env: { METRICS_PUBLIC: 'true' } })

  it('counts responses by route pattern, failed logins and 429s', async () => {
    await login(t, 'nobody@example.test', 'wrong password for metrics')
    await t.app.inject({ method: 'GET', url: '/v1/sessions/00000000-0000-0000-0000-000000000000' })
    await t.app.inject({ method: 'GET', url: '/no/such/route/probe-0000' })
    await t.app.inject({ method: 'HEAD', url: '/' })
    const res = await t.app.inject({ method: 'GET', url: '/metrics' })
    expect(res.statusCode).toBe(200)
    expect(res.body).toMatch(/^auth_login_failures_total 1$/m)
    expect(res.body).toMatch(/http_requests_total\{method="POST",route="\/v1\/auth\/login",status_code="401"\} 1/)
    // GET has no route at /v1/sessions/:id (only DELETE: 405), the other path none at all (404):
    // both probes count as unmatched, by status.
    expect(res.body).toMatch(/http_requests_total\{method="GET",route="unmatched",status_code="405"\} 1/)
    expect(res.body).toMatch(/http_requests_total\{method="GET",route="unmatched",status_code="404"\} 1/)
    expect(res.body).not.toContain('00000000-0000') // raw URLs never become labels
    // A HEAD answered by the GET route's handler counts as HEAD.
    expect(res.body).toMatch(/^http_requests_total\{method="HEAD",route="\/",status_code="200"\} 1$/m)
    expect(res.body).not.toContain('probe-0000')
    // The duration histogram: cumulative buckets up to +Inf, then the sum and the count.
    expect(res.body).toContain('# TYPE http_request_duration_seconds histogram')
    const buckets = [...res.body.matchAll(/^http_request_duration_seconds_bucket\{method="POST",route="\/v1\/auth\/login",le="([^"]+)"\} (\d+)$/gm)]
    expect(buckets.map((m) => m[1])).toEqual(['0.01', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '+Inf'])
    const counts = buckets.map((m) => Number(m[2]))
    expect(counts).toEqual([...counts].sort((x, y) => x - y))
    expect(counts.at(-1)).toBe(1)
    expect(res.body).toMatch(/^http_request_duration_seconds_count\{method="POST",route="\/v1\/auth\/login"\} 1$/m)
    // A route nobody asked for has no series.
    expect(res.body).not.toMatch(/^http_request_duration_seconds_count\{method="GET",route="\/v1\/tokens"\}/m)
    expect(res.body).toMatch(/^http_request_duration_seconds_sum\{method="POST",route="\/v1\/auth\/login"\} [0-9.e-]+$/m)
    // Lines dropped by a stalled log reader (decision 0094): the metric the LogLinesDropped alert reads.
    expect(res.body).toMatch(/^log_lines_dropped_total \d+$/m)
  })
})
