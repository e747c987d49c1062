// The example tenant resource: what every fork's tenant-owned resource must prove.
import { describe, expect, it } from 'vitest'
import { signedIn } from '../testing/factories.js'
import { addMember, createOrg } from '../testing/orgs.js'
import { useTestApp } from '../testing/test-app.js'

describe('/v1/orgs/:orgId/projects', () => {
  const t = useTestApp()

  it('lets members create, rename and delete, and viewers only read', async () => {
    const owner = await signedIn(t, 'own@proj.test')
    const orgId = await createOrg(t, owner)
    const member = await addMember(t, owner, orgId, 'mem@proj.test', 'member')
    const viewer = await addMember(t, owner, orgId, 'vie@proj.test', 'viewer')
    const base = `/v1/orgs/${orgId}/projects`
    const created = await t.app.inject({ method: 'POST', url: base, headers: { cookie: member.cookie }, payload: { name: 'Apollo' } })
    expect(created.statusCode).toBe(201)
    const { id } = created.json<{ id: string }>()
    expect((await t.app.inject({ method: 'POST', url: base, headers: { cookie: viewer.cookie }, payload: { name: 'No' } })).statusCode).toBe(403)
    expect((await t.app.inject({ method: 'PATCH', url: `${base}/${id}`, headers: { cookie: viewer.cookie }, payload: { name: 'No' } })).statusCode).toBe(403)
    expect((await t.app.inject({ method: 'DELETE', url: `${base}/${id}`, headers: { cookie: viewer.cookie } })).statusCode).toBe(403)
    const list = await t.app.inject({ method: 'GET', url: base, headers: { cookie: viewer.cookie } })
    expect(list.json()).toMatchObject({ projects: [{ id, name: 'Apollo' }] })
    const renamed = await t.app.inject({ method: 'PATCH', url: `${base}/${id}`, headers: { cookie: member.cookie }, payload: { name: 'Artemis' } })
    expect(renamed.json()).toMatchObject({ id, name: 'Artemis' })
    expect((await t.app.inject({ method: 'GET', url: `${base}/${id}`, headers: { cookie: viewer.cookie } })).json()).toMatchObject({ name: 'Artemis' })
    expect((await t.app.inject({ method: 'DELETE', url: `${base}/${id}`, headers: { cookie: member.cookie } })).statusCode).toBe(204)
    expect((await t.app.inject({ method: 'GET', url: `${base}/${id}`, headers: { cookie: member.cookie } })).statusCode).toBe(404)
  })

  it('refuses unknown fields, unbounded names and control characters (400), changing nothing', async () => {
    const owner = await signedIn(t, 'own2@proj.test')
    const orgId = await createOrg(t, owner)
    const base = `/v1/orgs/${orgId}/projects`
    for (const payload of [{ name: 'x', orgId }, { name: 'x'.repeat(101) }, { name: 'a\u0000b' }, {}]) {
      const res = await t.app.inject({ method: 'POST', url: base, headers: { cookie: owner }, payload })
      expect(res.statusCode).toBe(400)
      expect(res.json()).toMatchObject({ error: 'validation_failed' })
    }
    expect((await t.app.inject({ method: 'GET', url: base, headers: { cookie: owner } })).json()).toEqual({ projects: [] })
  })
})
