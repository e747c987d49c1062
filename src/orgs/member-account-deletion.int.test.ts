// A member who deletes their account (DELETE /v1/me) leaves every organization they belonged to, and
// each organization's audit trail says so, in the deleting transaction, with ids only.
import { describe, expect, it } from 'vitest'
import { verifyChain } from '../audit/audit-chain.js'
import { verifyExportLines } from '../audit/audit-org.js'
import { signedIn, STRONG_PASSWORD, tokenFromMail } from '../testing/factories.js'
import { accept, accountIdOf, addMember, createOrg, invite } from '../testing/orgs.js'
import { useTestApp } from '../testing/test-app.js'

describe('DELETE /v1/me of an organization member', () => {
  const t = useTestApp()
  const deleteMe = (cookie: string) => t.app.inject({ method: 'DELETE', url: '/v1/me', headers: { cookie }, payload: { password: STRONG_PASSWORD } })
  interface Page {
    events: { type: string; actor: { accountId: string; email: string | null } | null; target: { kind: string; id: string; email: string | null } | null }[]
  }
  const trail = async (cookie: string, orgId: string) =>
    (await t.app.inject({ method: 'GET', url: `/v1/orgs/${orgId}/audit-events`, headers: { cookie } })).json<Page>().events
  const departures = (orgId: string) =>
    t.deps.db.selectFrom('security_events').select(['account_id', 'details']).where('org_id', '=', orgId).where('type', '=', 'member.left').execute()

  it('records the departure in every organization the account belonged to, without its address, and ends its invitations', async () => {
    const ownerA = await signedIn(t, 'own-a@gone.test')
    const ownerB = await signedIn(t, 'own-b@gone.test')
    const orgA = await createOrg(t, ownerA, 'A')
    const orgB = await createOrg(t, ownerB, 'B')
    const leaver = await addMember(t, ownerA, orgA, 'leaver@gone.test', 'admin')
    await addMember(t, ownerB, orgB, 'leaver@gone.test', 'viewer', leaver.cookie)
    // A co-owner of a third organization may go: another owner remains.
    const orgC = await createOrg(t, leaver.cookie, 'C')
    await addMember(t, leaver.cookie, orgC, 'own-c@gone.test', 'owner')
    const pending = (await invite(t, leaver.cookie, orgA, 'friend@gone.test', 'member')).json<{ id: string }>().id

    expect((await deleteMe(leaver.cookie)).statusCode).toBe(204)

    for (const [orgId, role] of [
      [orgA, 'admin'],
      [orgB, 'viewer'],
      [orgC, 'owner'],
    ] as const) {
      expect(await departures(orgId), role).toEqual([
        { account_id: leaver.accountId, details: expect.objectContaining({ targetAccountId: leaver.accountId, role, reason: 'account_deleted' }) },
      ])
    }
    // What an admin reads: the departure, by the account itself, whose address is gone with it.
    const [latestA] = await trail(ownerA, orgA)
    expect(latestA).toMatchObject({
      type: 'invitation.revoked',
      actor: { accountId: leaver.accountId, email: null },
      target: { kind: 'invitation', id: pending, email: null },
    })
    expect((await trail(ownerA, orgA))[1]).toMatchObject({
      type: 'member.left',
      actor: { accountId: leaver.accountId, email: null },
      target: { kind: 'account', id: leaver.accountId, email: null },
    })
    // No event of any organization holds the address.
    const rows = await t.deps.db.selectFrom('security_events').select('details').where('org_id', 'in', [orgA, orgB, orgC]).execute()
    expect(JSON.stringify(rows)).not.toContain('leaver@gone.test')
    // The invitation it sent is dead and listed no more.
    const listed = await t.app.inject({ method: 'GET', url: `/v1/orgs/${orgA}/invitations`, headers: { cookie: ownerA } })
    expect(listed.json()).toEqual({ invitations: [] })
    const members = await t.app.inject({ method: 'GET', url: `/v1/orgs/${orgB}/members`, headers: { cookie: ownerB } })
    expect(members.json<{ members: { accountId: string }[] }>().members.map((m) => m.accountId)).toEqual([await accountIdOf(t, ownerB)])
    // Both chains hold: the global one and each organization's export.
    expect(await verifyChain(t.deps.db)).toMatchObject({ ok: true })
    const exported = await t.app.inject({ method: 'GET', url: `/v1/orgs/${orgA}/audit-events`, headers: { cookie: ownerA, accept: 'application/x-ndjson' } })
    expect(await verifyExportLines(exported.body.trim().split('\n'))).toMatchObject({ ok: true })
  })

  it('runs in turn with an invitation the account sends or accepts meanwhile: no deadlock, nothing left behind, no departure unrecorded', async () => {
    for (let round = 0; round < 6; round += 1) {
      const owner = await signedIn(t, `own-race${round}@gone.test`)
      const orgId = await createOrg(t, owner)
      const joining = await createOrg(t, owner, 'Joining')
      const leaver = await addMember(t, owner, orgId, `leaver-race${round}@gone.test`, 'admin')
      await invite(t, owner, joining, `leaver-race${round}@gone.test`, 'member')
      const token = await tokenFromMail(t, `leaver-race${round}@gone.test`, 'accept-invitation')
      const [deleted, sent, joined] = await Promise.all([
        deleteMe(leaver.cookie),
        invite(t, leaver.cookie, orgId, `friend-race${round}@gone.test`, 'viewer'),
        accept(t, leaver.cookie, token),
      ])
      expect(deleted.statusCode).toBe(204)
      expect([201, 401, 404]).toContain(sent.statusCode)
      expect([200, 401]).toContain(joined.statusCode)
      const listed = await t.app.inject({ method: 'GET', url: `/v1/orgs/${orgId}/invitations`, headers: { cookie: owner } })
      expect(listed.json()).toEqual({ invitations: [] })
      expect(await departures(orgId)).toHaveLength(1)
      expect(await departures(joining)).toHaveLength(joined.statusCode === 200 ? 1 : 0)
    }
  })

  it('records nothing anywhere when the deletion is refused because the account is the sole owner of an organization', async () => {
    const other = await signedIn(t, 'own-x@gone.test')
    const orgX = await createOrg(t, other, 'X')
    const sole = await addMember(t, other, orgX, 'sole@gone.test', 'member')
    await createOrg(t, sole.cookie, 'Only mine')
    const refused = await deleteMe(sole.cookie)
    expect(refused.statusCode).toBe(409)
    expect(refused.json()).toMatchObject({ error: 'last_owner' })
    expect(await departures(orgX)).toEqual([])
    const members = await t.app.inject({ method: 'GET', url: `/v1/orgs/${orgX}/members`, headers: { cookie: other } })
    expect(members.json<{ members: { accountId: string }[] }>().members.map((m) => m.accountId)).toContain(sole.accountId)
  })
})
