// Tenant request cost: GET /v1/orgs/:orgId/projects beside GET /v1/me, in the same run, plus the
// database round trips each one makes (counted at the pg driver). A small function the main bench
// calls; it needs only the app, a signed-in cookie and the timing helper.
import type { FastifyInstance } from 'fastify'
import pg from 'pg'

type Timer = (label: string, runs: number, fn: () => Promise<unknown>) => Promise<void>

/** Counts pg queries (each one a round trip) made while `fn` runs. */
async function roundTrips(fn: () => Promise<unknown>): Promise<number> {
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown }
  const original = proto.query
  let count = 0
  proto.query = function (this: unknown, ...args: unknown[]) {
    count += 1
    return original.apply(this, args)
  }
  try {
    await fn()
  } finally {
    proto.query = original
  }
  return count
}

export async function benchTenantRequest(app: FastifyInstance, cookie: string, time: Timer): Promise<void> {
  const created = await app.inject({ method: 'POST', url: '/v1/orgs', headers: { cookie }, payload: { name: 'Bench' } })
  if (created.statusCode !== 201) throw new Error(`create org answered ${created.statusCode}`)
  const orgId = created.json<{ id: string }>().id
  for (let i = 0; i < 20; i += 1) await app.inject({ method: 'POST', url: `/v1/orgs/${orgId}/projects`, headers: { cookie }, payload: { name: `p${i}` } })
  const me = () => app.inject({ method: 'GET', url: '/v1/me', headers: { cookie } })
  const projects = async () => {
    const res = await app.inject({ method: 'GET', url: `/v1/orgs/${orgId}/projects`, headers: { cookie } })
    if (res.statusCode !== 200) throw new Error(`projects answered ${res.statusCode}`)
  }
  await time('GET /v1/orgs/:orgId/projects (20 rows, RLS)', 300, projects)
  const meTrips = await roundTrips(me)
  const tenantTrips = await roundTrips(projects)
  process.stdout.write(`round trips: GET /v1/me=${meTrips}  GET /v1/orgs/:orgId/projects=${tenantTrips} (membership 1 + BEGIN, set_config, SELECT, COMMIT)\n`)
}
