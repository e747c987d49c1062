// The caps on organizations per account and projects per organization hold under parallel requests:
// each create counts and inserts under a lock (found by an attacker pass: 30 parallel creates left an
// account in 109 organizations, 40 left an organization with 509 projects, and the lists then hid
// the extra ones).
import { describe, expect, it } from 'vitest'
import { MAX_PROJECTS_PER_ORG } from '../projects/projects.service.js'
import { accountIdOf, signedIn } from '../testing/factories.js'
import { createOrg } from '../testing/orgs.js'
import { useTestApp } from '../testing/test-app.js'
import { MAX_MEMBERSHIPS_PER_ACCOUNT } from './orgs.service.js'

const PARALLEL = 12

describe('limits under parallel creates', () => {
  const t = useTestApp()

  it(`keeps an account at ${MAX_MEMBERSHIPS_PER_ACCOUNT} organizations when creates race`, async () => {
    const owner = await signedIn(t, 'many-orgs@limits.test')
    const accountId = await accountIdOf(t, 'many-orgs@limits.test')
    const free = 3
    const orgs = await t.deps.db
      .insertInto('organizations')
      .values(Array.from({ length: MAX_MEMBERSHIPS_PER_ACCOUNT - free }, (_, i) => ({ name: `Filler ${i}` })))
      .returning('id')
      .execute()
    await t.deps.db
      .insertInto('memberships')
      .values(orgs.map((o) => ({ org_id: o.id, account_id: accountId, role: 'owner' })))
      .execute()
    const answers = await Promise.all(
      Array.from({ length: PARALLEL }, (_, i) => t.app.inject({ method: 'POST', url: '/v1/orgs', headers: { cookie: owner }, payload: { name: `Race ${i}` } })),
    )
    const statuses = answers.map((a) => a.statusCode).sort()
    expect(statuses).toEqual([...Array<number>(free).fill(201), ...Array<number>(PARALLEL - free).fill(422)])
    expect(answers.find((a) => a.statusCode === 422)?.json()).toMatchObject({ error: 'org_limit_reached' })
    const { count } = await t.deps.db
      .selectFrom('memberships')
      .select((eb) => eb.fn.countAll<string>().as('count'))
      .where('account_id', '=', accountId)
      .executeTakeFirstOrThrow()
    expect(Number(count)).toBe(MAX_MEMBERSHIPS_PER_ACCOUNT)
  })

  it(`keeps an organization at ${MAX_PROJECTS_PER_ORG} projects when creates race`, async () => {
    const owner = await signedIn(t, 'many-projects@limits.test')
    const orgId = await createOrg(t, owner)
    const free = 3
    await t.deps.db
      .insertInto('projects')
      .values(
        Array.from({ length: MAX_PROJECTS_PER_ORG - free }, (_, i) => ({ org_id: orgId, name: `Filler ${i}`, created_at: new Date(), updated_at: new Date() })),
      )
      .execute()
    const answers = await Promise.all(
      Array.from({ length: PARALLEL }, (_, i) =>
        t.app.inject({ method: 'POST', url: `/v1/orgs/${orgId}/projects`, headers: { cookie: owner }, payload: { name: `Race ${i}` } }),
      ),
    )
    const statuses = answers.map((a) => a.statusCode).sort()
    expect(statuses).toEqual([...Array<number>(free).fill(201), ...Array<number>(PARALLEL - free).fill(422)])
    expect(answers.find((a) => a.statusCode === 422)?.json()).toMatchObject({ error: 'project_limit_reached' })
    const listed = await t.app.inject({ method: 'GET', url: `/v1/orgs/${orgId}/projects`, headers: { cookie: owner } })
    expect(listed.json<{ projects: unknown[] }>().projects).toHaveLength(MAX_PROJECTS_PER_ORG)
    const { count } = await t.deps.db
      .selectFrom('projects')
      .select((eb) => eb.fn.countAll<string>().as('count'))
      .where('org_id', '=', orgId)
      .executeTakeFirstOrThrow()
    expect(Number(count)).toBe(MAX_PROJECTS_PER_ORG)
  })
})
