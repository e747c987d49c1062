import { describe, expect, it } from 'vitest'
import { verifyChain } from '../audit/audit-chain.js'
import { STRONG_PASSWORD, signedIn } from '../testing/factories.js'
import { accountIdOf, addMember, createOrg } from '../testing/orgs.js'
import { useTestApp } from '../testing/test-app.js'

describe('roles, rank and the last owner', () => {
  const t = useTestApp()
  const patch = (cookie: string, orgId: string, accountId: string, role: string) =>
    t.app.inject({ method: 'PATCH', url: `/v1/orgs/${orgId}/members/${accountId}`, headers: { cookie }, payload: { role } })
  const remove = (cookie: string, orgId: string, accountId: string) =>
    t.app.inject({ method: 'DELETE', url: `/v1/orgs/${orgId}/members/${accountId}`, headers: { cookie } })

  it('never lets anyone grant, or change a member, above their own role', async () => {
    const owner = await signedIn(t, 'o1@members.test')
    const orgId = await createOrg(t, owner)
    const admin = await addMember(t, owner, orgId, 'a1@members.test', 'admin')
    const member = await addMember(t, owner, orgId, 'm1@members.test', 'member')
    const ownerId = await accountIdOf(t, owner)
    // An admin cannot make anyone owner, not even themself, and cannot touch an owner.
    expect((await patch(admin.cookie, orgId, member.accountId, 'owner')).json()).toMatchObject({ error: 'forbidden' })
    expect((await patch(admin.cookie, orgId, admin.accountId, 'owner')).statusCode).toBe(403)
    expect((await patch(admin.cookie, orgId, ownerId, 'viewer')).statusCode).toBe(403)
    expect((await remove(admin.cookie, orgId, ownerId)).statusCode).toBe(403)
    // A member cannot change roles at all, not even their own upwards.
    expect((await patch(member.cookie, orgId, member.accountId, 'admin')).statusCode).toBe(403)
    // Within rank it works.
    const demoted = await patch(admin.cookie, orgId, member.accountId, 'viewer')
    expect(demoted.statusCode).toBe(200)
    expect(demoted.json()).toMatchObject({ accountId: member.accountId, role: 'viewer', email: 'm1@members.test' })
    expect((await patch(owner, orgId, admin.accountId, 'owner')).json()).toMatchObject({ role: 'owner' })
    expect((await patch(owner, orgId, member.accountId, 'nonsense')).json()).toMatchObject({ error: 'invalid_role' })
  })

  it('keeps the last owner: cannot leave, be demoted or removed (409 last_owner)', async () => {
    const owner = await signedIn(t, 'o2@members.test')
    const orgId = await createOrg(t, owner)
    const ownerId = await accountIdOf(t, owner)
    expect((await remove(owner, orgId, ownerId)).json()).toMatchObject({ error: 'last_owner' })
    const demote = await patch(owner, orgId, ownerId, 'admin')
    expect(demote.statusCode).toBe(409)
    expect(demote.json()).toMatchObject({ error: 'last_owner' })
    const second = await addMember(t, owner, orgId, 'o2b@members.test', 'owner')
    expect((await remove(owner, orgId, ownerId)).statusCode).toBe(204)
    expect((await remove(second.cookie, orgId, second.accountId)).json()).toMatchObject({ error: 'last_owner' })
  })

  it('leaves exactly one owner when the last two owners demote each other at once', async () => {
    for (let round = 0; round < 5; round += 1) {
      const one = await signedIn(t, `r${round}a@members.test`)
      const orgId = await createOrg(t, one)
      const two = await addMember(t, one, orgId, `r${round}b@members.test`, 'owner')
      const oneId = await accountIdOf(t, one)
      // Each demotes the other (round even) or themself (round odd), both at once.
      const answers = await Promise.all(
        round % 2 === 0
          ? [patch(one, orgId, two.accountId, 'admin'), patch(two.cookie, orgId, oneId, 'admin')]
          : [patch(one, orgId, oneId, 'admin'), patch(two.cookie, orgId, two.accountId, 'admin')],
      )
      const owners = await t.deps.db.selectFrom('memberships').select('account_id').where('org_id', '=', orgId).where('role', '=', 'owner').execute()
      expect(owners).toHaveLength(1)
      // The loser is refused as the last owner, or (demoted first) as no longer outranking an owner.
      const statuses = answers.map((r) => r.statusCode).sort()
      expect(statuses[0]).toBe(200)
      expect(round % 2 === 0 ? [403, 409] : [409]).toContain(statuses[1])
    }
  })

  it('leaves exactly one owner when the last two owners leave at once', async () => {
    const one = await signedIn(t, 'l1@members.test')
    const orgId = await createOrg(t, one)
    const two = await addMember(t, one, orgId, 'l2@members.test', 'owner')
    const oneId = await accountIdOf(t, one)
    const answers = await Promise.all([remove(one, orgId, oneId), remove(two.cookie, orgId, two.accountId)])
    expect(answers.map((r) => r.statusCode).sort()).toEqual([204, 409])
    const owners = await t.deps.db.selectFrom('memberships').select('account_id').where('org_id', '=', orgId).where('role', '=', 'owner').execute()
    expect(owners).toHaveLength(1)
  })

  it('reads every id in either case as the one stored: the last owner stays, leaving is leaving, the audit chain holds', async () => {
    // Found by a scan: ids compared as typed let the sole owner "transfer" ownership to themself in
    // upper case (the organization was left with no owner), and an upper-case organization id was
    // hashed into the audit chain as typed while the database stored it in lower case (chain broken).
    const owner = await signedIn(t, 'u1@members.test')
    const ownerId = await accountIdOf(t, owner)
    const orgId = await createOrg(t, owner)
    const up = (id: string) => id.toUpperCase()
    const self = await t.app.inject({ method: 'POST', url: `/v1/orgs/${up(orgId)}/ownership`, headers: { cookie: owner }, payload: { accountId: up(ownerId) } })
    expect(self.statusCode).toBe(403)
    const member = await addMember(t, owner, orgId, 'u2@members.test', 'member')
    expect((await patch(owner, up(orgId), up(member.accountId), 'viewer')).statusCode).toBe(200)
    expect((await remove(member.cookie, up(orgId), up(member.accountId))).statusCode).toBe(204)
    expect((await remove(owner, up(orgId), up(ownerId))).json()).toMatchObject({ error: 'last_owner' })
    const members = await t.app.inject({ method: 'GET', url: `/v1/orgs/${orgId}/members`, headers: { cookie: owner } })
    expect(members.json<{ members: { accountId: string; role: string }[] }>().members).toEqual([expect.objectContaining({ accountId: ownerId, role: 'owner' })])
    expect(await verifyChain(t.deps.db)).toMatchObject({ ok: true })
  })

  it('transfers ownership atomically: the member becomes owner, the caller admin', async () => {
    const owner = await signedIn(t, 't1@members.test')
    const orgId = await createOrg(t, owner)
    const admin = await addMember(t, owner, orgId, 't2@members.test', 'admin')
    const byAdmin = await t.app.inject({
      method: 'POST',
      url: `/v1/orgs/${orgId}/ownership`,
      headers: { cookie: admin.cookie },
      payload: { accountId: admin.accountId },
    })
    expect(byAdmin.statusCode).toBe(403)
    const res = await t.app.inject({ method: 'POST', url: `/v1/orgs/${orgId}/ownership`, headers: { cookie: owner }, payload: { accountId: admin.accountId } })
    expect(res.statusCode).toBe(204)
    const members = await t.app.inject({ method: 'GET', url: `/v1/orgs/${orgId}/members`, headers: { cookie: owner } })
    const roles = Object.fromEntries(members.json<{ members: { email: string; role: string }[] }>().members.map((m) => [m.email, m.role]))
    expect(roles).toEqual({ 't1@members.test': 'admin', 't2@members.test': 'owner' })
  })

  it('refuses to delete the account of the last owner of an organization (409 last_owner), and allows it once another owner exists', async () => {
    const owner = await signedIn(t, 'd1@members.test')
    const orgId = await createOrg(t, owner)
    const refused = await t.app.inject({ method: 'DELETE', url: '/v1/me', headers: { cookie: owner }, payload: { password: STRONG_PASSWORD } })
    expect(refused.statusCode).toBe(409)
    expect(refused.json()).toMatchObject({ error: 'last_owner' })
    expect((await t.app.inject({ method: 'GET', url: '/v1/me', headers: { cookie: owner } })).statusCode).toBe(200)
    await addMember(t, owner, orgId, 'd2@members.test', 'owner')
    const done = await t.app.inject({ method: 'DELETE', url: '/v1/me', headers: { cookie: owner }, payload: { password: STRONG_PASSWORD } })
    expect(done.statusCode).toBe(204)
  })

  it('lets a removed member in no more, on the very next request', async () => {
    const owner = await signedIn(t, 'x1@members.test')
    const orgId = await createOrg(t, owner)
    const member = await addMember(t, owner, orgId, 'x2@members.test', 'member')
    expect((await t.app.inject({ method: 'GET', url: `/v1/orgs/${orgId}/projects`, headers: { cookie: member.cookie } })).statusCode).toBe(200)
    expect((await remove(owner, orgId, member.accountId)).statusCode).toBe(204)
    expect((await t.app.inject({ method: 'GET', url: `/v1/orgs/${orgId}/projects`, headers: { cookie: member.cookie } })).statusCode).toBe(404)
  })
})
