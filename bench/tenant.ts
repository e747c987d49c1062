// Tenant request cost: GET /v1/orgs/:orgId/projects (membership check, then a transaction under Row
// Level Security) against the same ceiling as GET /v1/me, in the same run. A small function that
// bench/run.ts calls with its own load and report helpers; the round trips each request makes are
// written in docs/tenancy.md (membership 1 + BEGIN, set_config, SELECT, COMMIT).
import type { LoadResult, LoadSpec } from './load.js'

type Load = (spec: Omit<LoadSpec, 'durationMs' | 'connections'>) => Promise<LoadResult>
type Report = (name: string, value: string, target: string, ratio: number | undefined, pass: boolean | undefined) => void

export async function benchTenantRequest(opts: { appPort: number; cookie: string; ceiling: LoadResult; load: Load; report: Report }): Promise<void> {
  const { appPort, cookie, ceiling, load, report } = opts
  const headers = { 'content-type': 'application/json', cookie: `__Host-session=${cookie}` }
  const base = `http://127.0.0.1:${appPort}`
  const created = await fetch(`${base}/v1/orgs`, { method: 'POST', headers, body: JSON.stringify({ name: 'Bench' }) })
  if (created.status !== 201) throw new Error(`create org answered ${created.status}`)
  const { id: orgId } = (await created.json()) as { id: string }
  for (let i = 0; i < 20; i += 1) await fetch(`${base}/v1/orgs/${orgId}/projects`, { method: 'POST', headers, body: JSON.stringify({ name: `p${i}` }) })
  const result = await load({ port: appPort, path: `/v1/orgs/${orgId}/projects`, headers: { cookie: `__Host-session=${cookie}` } })
  const bad = Object.keys(result.statuses).filter((s) => !s.startsWith('2'))
  if (bad.length > 0) throw new Error(`tenant read: unexpected answers ${JSON.stringify(result.statuses)}`)
  const ratio = result.perSecond / ceiling.perSecond
  report(
    'GET /v1/orgs/:orgId/projects / ceiling',
    `${Math.round(result.perSecond)}/s p99=${result.p99Ms.toFixed(1)}ms`,
    '(6 round trips: see tenancy)',
    ratio,
    undefined,
  )
}
