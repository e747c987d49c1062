// The cross-tenant sweep (ASVS 5.0 V8.2.2, V8.4.1): every route registered under /v1/orgs/:orgId,
// enumerated from the running app (so a new route is covered without editing this file), is tried
// by four callers who must not reach organization A: a member of another organization, a removed
// member, an API token bound to another organization, and (for writes) a viewer. None succeeds,
// none changes anything, and no answer carries A's data.
import { beforeAll, describe, expect, it } from 'vitest'
import { signedIn } from '../testing/factories.js'
import { addMember, createOrg, orgToken } from '../testing/orgs.js'
import { useTestApp } from '../testing/test-app.js'

const PREFIX = '/v1/orgs/:orgId'
const ALL_ORG_SCOPES = ['org:read', 'org:write', 'members:read', 'members:write', 'projects:read', 'projects:write', 'audit:read']

interface RouteEntry {
  method: string
  url: string
}

/** Every method and path from app.printRoutes(): the tree is walked by indentation (4 columns a level). */
function registeredRoutes(tree: string): RouteEntry[] {
  const stack: string[] = []
  const found = new Map<string, RouteEntry>()
  for (const line of tree.split('\n')) {
    const match = /^([│ ]*)(?:├── |└── )(.+?) \(([A-Z, ]+)\)$/.exec(line)
    if (match === null) continue
    const depth = (match[1] ?? '').length / 4
    stack.length = depth
    stack.push(match[2] ?? '')
    const path = stack
      .join('')
      .replace(/\/+/g, '/')
      .replace(/(.)\/$/, '$1')
    for (const method of (match[3] ?? '').split(', ')) {
      if (method !== 'HEAD') found.set(`${method} ${path}`, { method, url: path })
    }
  }
  return [...found.values()]
}

describe('cross-tenant sweep of every /v1/orgs/:orgId route', () => {
  const t = useTestApp()
  const a = { orgId: '', projectId: '', invitationId: '', ownerId: '', owner: '' }
  const attackers: Record<string, { headers: Record<string, string> }> = {}
  let viewer = ''
  let routes: RouteEntry[] = []

  beforeAll(async () => {
    a.owner = await signedIn(t, 'owner-a@sweep.test')
    a.orgId = await createOrg(t, a.owner, 'Alpha SECRET-ORG')
    const project = await t.app.inject({
      method: 'POST',
      url: `/v1/orgs/${a.orgId}/projects`,
      headers: { cookie: a.owner },
      payload: { name: 'SECRET-PROJECT' },
    })
    a.projectId = project.json<{ id: string }>().id
    const invited = await t.app.inject({
      method: 'POST',
      url: `/v1/orgs/${a.orgId}/invitations`,
      headers: { cookie: a.owner },
      payload: { email: 'pending-secret@sweep.test', role: 'member' },
    })
    a.invitationId = invited.json<{ id: string }>().id
    const me = await t.app.inject({ method: 'GET', url: '/v1/me', headers: { cookie: a.owner } })
    a.ownerId = me.json<{ id: string }>().id
    viewer = (await addMember(t, a.owner, a.orgId, 'viewer-a@sweep.test', 'viewer')).cookie
    const removed = await addMember(t, a.owner, a.orgId, 'removed-a@sweep.test', 'admin')
    const removedToken = await orgToken(t, removed.cookie, a.orgId, ALL_ORG_SCOPES)
    expect((await t.app.inject({ method: 'DELETE', url: `/v1/orgs/${a.orgId}/members/${removed.accountId}`, headers: { cookie: a.owner } })).statusCode).toBe(
      204,
    )

    const ownerB = await signedIn(t, 'owner-b@sweep.test')
    const orgB = await createOrg(t, ownerB, 'Bravo')
    attackers['member of another organization'] = { headers: { cookie: ownerB } }
    attackers['removed member'] = { headers: { cookie: removed.cookie } }
    attackers['token bound to another organization'] = { headers: { authorization: `Bearer ${await orgToken(t, ownerB, orgB, ALL_ORG_SCOPES)}` } }
    attackers['token of the removed member'] = { headers: { authorization: `Bearer ${removedToken}` } }
    // The sharpest case: an admin of A whose token is bound to B. Being a member of A must not help it.
    const dual = await addMember(t, a.owner, a.orgId, 'dual@sweep.test', 'admin')
    await addMember(t, ownerB, orgB, 'dual@sweep.test', 'admin', dual.cookie)
    attackers['token bound to B of a member of both'] = { headers: { authorization: `Bearer ${await orgToken(t, dual.cookie, orgB, ALL_ORG_SCOPES)}` } }
    const unbound = await t.app.inject({
      method: 'POST',
      url: '/v1/tokens',
      headers: { cookie: dual.cookie },
      payload: { name: 'unbound', scopes: ['account:read'] },
    })
    attackers['unbound token of a member'] = { headers: { authorization: `Bearer ${unbound.json<{ token: string }>().token}` } }
    routes = registeredRoutes(t.app.printRoutes({ commonPrefix: false })).filter((r) => r.url === PREFIX || r.url.startsWith(`${PREFIX}/`))
  })

  function concrete(url: string): string {
    return url.replace(':orgId', a.orgId).replace(':projectId', a.projectId).replace(':accountId', a.ownerId).replace(':id', a.invitationId)
  }

  function expectNoData(body: string): void {
    for (const secret of [a.orgId, a.projectId, a.invitationId, a.ownerId, 'SECRET', 'owner-a@sweep.test']) expect(body).not.toContain(secret)
  }

  it('finds every route under the prefix, the example resource included', () => {
    const names = routes.map((r) => `${r.method} ${r.url}`)
    expect(names).toEqual(
      expect.arrayContaining([
        `GET ${PREFIX}`,
        `DELETE ${PREFIX}`,
        `GET ${PREFIX}/projects`,
        `PATCH ${PREFIX}/projects/:projectId`,
        `DELETE ${PREFIX}/members/:accountId`,
        `GET ${PREFIX}/audit-events`,
      ]),
    )
    expect(routes.length).toBeGreaterThanOrEqual(15)
  })

  it('answers 404 not_found, with nothing of the organization, to every caller outside it', async () => {
    for (const route of routes) {
      for (const [who, caller] of Object.entries(attackers)) {
        const res = await t.app.inject({
          method: route.method as 'GET',
          url: concrete(route.url),
          headers: { ...caller.headers, accept: 'application/x-ndjson, application/json' },
          payload: {},
        })
        expect({ who, route: `${route.method} ${route.url}`, status: res.statusCode }).toEqual({
          who,
          route: `${route.method} ${route.url}`,
          status: who === 'token of the removed member' ? 401 : 404,
        })
        expectNoData(res.body)
      }
    }
  })

  it('refuses every write to a viewer with 403 forbidden and changes nothing', async () => {
    const writes = routes.filter((r) => r.method !== 'GET')
    expect(writes.length).toBeGreaterThanOrEqual(8)
    for (const route of writes) {
      const res = await t.app.inject({
        method: route.method as 'POST',
        url: concrete(route.url),
        headers: { cookie: viewer },
        payload: { name: 'x', role: 'owner', email: 'x@sweep.test', password: 'correct horse battery staple orbit', accountId: a.ownerId, mfaRequired: true },
      })
      expect({ route: `${route.method} ${route.url}`, status: res.statusCode }).toEqual({ route: `${route.method} ${route.url}`, status: 403 })
    }
    const org = await t.app.inject({ method: 'GET', url: `/v1/orgs/${a.orgId}`, headers: { cookie: a.owner } })
    expect(org.json()).toMatchObject({ name: 'Alpha SECRET-ORG', mfaRequired: false })
    const project = await t.app.inject({ method: 'GET', url: `/v1/orgs/${a.orgId}/projects/${a.projectId}`, headers: { cookie: a.owner } })
    expect(project.json()).toMatchObject({ name: 'SECRET-PROJECT' })
    const members = await t.app.inject({ method: 'GET', url: `/v1/orgs/${a.orgId}/members`, headers: { cookie: a.owner } })
    expect(
      members
        .json<{ members: { role: string }[] }>()
        .members.map((m) => m.role)
        .sort(),
    ).toEqual(['admin', 'owner', 'viewer'])
    const invitations = await t.app.inject({ method: 'GET', url: `/v1/orgs/${a.orgId}/invitations`, headers: { cookie: a.owner } })
    expect(invitations.json<{ invitations: { id: string }[] }>().invitations.map((i) => i.id)).toEqual([a.invitationId])
  })

  it('does not let an id of organization A be used through organization B', async () => {
    const ownerB = attackers['member of another organization']?.headers ?? {}
    const orgs = await t.app.inject({ method: 'GET', url: '/v1/orgs', headers: ownerB })
    const orgB = orgs.json<{ orgs: { id: string }[] }>().orgs[0]?.id ?? ''
    for (const url of [`/v1/orgs/${orgB}/projects/${a.projectId}`]) {
      for (const method of ['GET', 'PATCH', 'DELETE'] as const) {
        const res = await t.app.inject({ method, url, headers: ownerB, payload: { name: 'stolen' } })
        expect(res.statusCode).toBe(404)
        expectNoData(res.body)
      }
    }
    const inv = await t.app.inject({ method: 'DELETE', url: `/v1/orgs/${orgB}/invitations/${a.invitationId}`, headers: ownerB })
    expect(inv.statusCode).toBe(404)
    const member = await t.app.inject({ method: 'PATCH', url: `/v1/orgs/${orgB}/members/${a.ownerId}`, headers: ownerB, payload: { role: 'viewer' } })
    expect(member.statusCode).toBe(404)
  })
})
