import { describe, expect, it } from 'vitest'
import { runHousekeeping } from '../housekeeping.js'
import { login, mailsTo, register, sessionCookieFrom, signedIn, STRONG_PASSWORD, tokenFromMail } from '../testing/factories.js'
import { accept, accountIdOf, addMember, createOrg, invite } from '../testing/orgs.js'
import { accountIdOf as idOfEmail } from '../testing/factories.js'
import { useTestApp } from '../testing/test-app.js'
import { MAX_MEMBERSHIPS_PER_ACCOUNT } from './orgs.service.js'

describe('invitations', () => {
  const t = useTestApp()

  it('mails a single-use link, stores only its hash, and joins the invited account with the role', async () => {
    const owner = await signedIn(t, 'own@inv.test')
    const orgId = await createOrg(t, owner, 'Invite Co')
    const res = await invite(t, owner, orgId, 'new@inv.test', 'member')
    expect(res.statusCode).toBe(201)
    expect(res.json()).toMatchObject({ email: 'new@inv.test', role: 'member' })
    const token = await tokenFromMail(t, 'new@inv.test', 'accept-invitation')
    const [mail] = await mailsTo(t, 'new@inv.test')
    expect(mail?.body_text).toContain('"Invite Co"')
    const stored = await t.deps.db.selectFrom('invitations').selectAll().where('org_id', '=', orgId).execute()
    expect(JSON.stringify(stored)).not.toContain(token)
    expect(stored[0]?.token_hash).toHaveLength(32)
    const listed = await t.app.inject({ method: 'GET', url: `/v1/orgs/${orgId}/invitations`, headers: { cookie: owner } })
    expect(listed.json()).toMatchObject({ invitations: [{ email: 'new@inv.test', role: 'member', invitedBy: { email: 'own@inv.test' } }] })

    const invitee = await signedIn(t, 'new@inv.test')
    const joined = await accept(t, invitee, token)
    expect(joined.statusCode).toBe(200)
    expect(joined.json()).toEqual({ orgId, role: 'member' })
    const again = await accept(t, invitee, token)
    expect(again.statusCode).toBe(400)
    expect(again.json()).toMatchObject({ error: 'invalid_token' })
    const mine = await t.app.inject({ method: 'GET', url: '/v1/orgs', headers: { cookie: invitee } })
    expect(mine.json()).toEqual({ orgs: [{ id: orgId, name: 'Invite Co', role: 'member' }] })
  })

  it('refuses the wrong account (403 invitation_mismatch) and stays usable for the right one', async () => {
    const owner = await signedIn(t, 'own2@inv.test')
    const orgId = await createOrg(t, owner)
    await invite(t, owner, orgId, 'right@inv.test', 'viewer')
    const token = await tokenFromMail(t, 'right@inv.test', 'accept-invitation')
    const wrong = await signedIn(t, 'wrong@inv.test')
    const refused = await accept(t, wrong, token)
    expect(refused.statusCode).toBe(403)
    expect(refused.json()).toMatchObject({ error: 'invitation_mismatch' })
    expect((await t.app.inject({ method: 'GET', url: `/v1/orgs/${orgId}`, headers: { cookie: wrong } })).statusCode).toBe(404)
    const right = await signedIn(t, 'Right@inv.test'.toLowerCase())
    expect((await accept(t, right, token)).json()).toEqual({ orgId, role: 'viewer' })
  })

  it("dies with its inviter's right to send it: removed, or demoted below what it grants", async () => {
    // Found by a scan: an admin on the way out invited an address they held as admin, was removed,
    // and the invitation still made that address an admin.
    const owner = await signedIn(t, 'own-gone@inv.test')
    const orgId = await createOrg(t, owner)
    const removed = await addMember(t, owner, orgId, 'adm-gone@inv.test', 'admin')
    const demoted = await addMember(t, owner, orgId, 'adm-demoted@inv.test', 'admin')
    expect((await invite(t, removed.cookie, orgId, 'plant1@inv.test', 'admin')).statusCode).toBe(201)
    expect((await invite(t, demoted.cookie, orgId, 'plant2@inv.test', 'viewer')).statusCode).toBe(201)
    const kept = await addMember(t, owner, orgId, 'adm-kept@inv.test', 'admin')
    expect((await invite(t, kept.cookie, orgId, 'fine@inv.test', 'member')).statusCode).toBe(201)
    await t.app.inject({ method: 'DELETE', url: `/v1/orgs/${orgId}/members/${removed.accountId}`, headers: { cookie: owner } })
    await t.app.inject({ method: 'PATCH', url: `/v1/orgs/${orgId}/members/${demoted.accountId}`, headers: { cookie: owner }, payload: { role: 'member' } })
    for (const email of ['plant1@inv.test', 'plant2@inv.test']) {
      const res = await accept(t, await signedIn(t, email), await tokenFromMail(t, email, 'accept-invitation'))
      expect(res.statusCode, email).toBe(400)
      expect(res.json()).toMatchObject({ error: 'invalid_token' })
    }
    expect((await accept(t, await signedIn(t, 'fine@inv.test'), await tokenFromMail(t, 'fine@inv.test', 'accept-invitation'))).json()).toEqual({
      orgId,
      role: 'member',
    })
  })

  const patchRole = (cookie: string, orgId: string, accountId: string, role: string) =>
    t.app.inject({ method: 'PATCH', url: `/v1/orgs/${orgId}/members/${accountId}`, headers: { cookie }, payload: { role } })
  const removeMember = (cookie: string, orgId: string, accountId: string) =>
    t.app.inject({ method: 'DELETE', url: `/v1/orgs/${orgId}/members/${accountId}`, headers: { cookie } })
  const listedIds = async (cookie: string, orgId: string) =>
    (await t.app.inject({ method: 'GET', url: `/v1/orgs/${orgId}/invitations`, headers: { cookie } }))
      .json<{ invitations: { id: string }[] }>()
      .invitations.map((i) => i.id)
  const revokedEvents = (orgId: string) =>
    t.deps.db.selectFrom('security_events').select(['account_id', 'details']).where('org_id', '=', orgId).where('type', '=', 'invitation.revoked').execute()

  it('stays dead for good once its inviter lost the right, and is no longer listed, even after the inviter regains it', async () => {
    // Found by QA: an admin's invitation was refused after the admin was demoted, was still listed,
    // and worked again once the admin was removed and invited back as admin.
    const owner = await signedIn(t, 'own-revive@inv.test')
    const ownerId = await accountIdOf(t, owner)
    const orgId = await createOrg(t, owner)
    const admin = await addMember(t, owner, orgId, 'adm-revive@inv.test', 'admin')
    const sent = await invite(t, admin.cookie, orgId, 'plant-revive@inv.test', 'admin')
    expect(sent.statusCode).toBe(201)
    const invitationId = sent.json<{ id: string }>().id
    const token = await tokenFromMail(t, 'plant-revive@inv.test', 'accept-invitation')
    const invitee = await signedIn(t, 'plant-revive@inv.test')

    expect((await patchRole(owner, orgId, admin.accountId, 'viewer')).statusCode).toBe(200)
    expect(await listedIds(owner, orgId)).not.toContain(invitationId)
    expect((await accept(t, invitee, token)).json()).toMatchObject({ error: 'invalid_token' })
    // The demotion says so in the organization's trail: the owner ended it, because its inviter lost the right.
    expect(await revokedEvents(orgId)).toEqual([
      { account_id: ownerId, details: expect.objectContaining({ targetInvitationId: invitationId, reason: 'inviter_lost_right' }) },
    ])

    expect((await removeMember(owner, orgId, admin.accountId)).statusCode).toBe(204)
    await addMember(t, owner, orgId, 'adm-revive@inv.test', 'admin', admin.cookie)
    const again = await accept(t, invitee, token)
    expect(again.statusCode).toBe(400)
    expect(again.json()).toMatchObject({ error: 'invalid_token' })
    expect((await t.app.inject({ method: 'GET', url: `/v1/orgs/${orgId}`, headers: { cookie: invitee } })).statusCode).toBe(404)
  })

  it('ends only what the inviter may no longer send: an owner made admin keeps their member invitations; removal, leaving and handing over ownership end theirs', async () => {
    const owner = await signedIn(t, 'own-keep@inv.test')
    const orgId = await createOrg(t, owner)
    const second = await addMember(t, owner, orgId, 'own2-keep@inv.test', 'owner')
    const toOwner = (await invite(t, second.cookie, orgId, 'would-own@inv.test', 'owner')).json<{ id: string }>().id
    const toMember = (await invite(t, second.cookie, orgId, 'would-member@inv.test', 'member')).json<{ id: string }>().id
    expect((await patchRole(owner, orgId, second.accountId, 'admin')).statusCode).toBe(200)
    const listed = await listedIds(owner, orgId)
    expect(listed).not.toContain(toOwner)
    expect(listed).toContain(toMember)
    expect((await accept(t, await signedIn(t, 'would-own@inv.test'), await tokenFromMail(t, 'would-own@inv.test', 'accept-invitation'))).statusCode).toBe(400)
    expect((await accept(t, await signedIn(t, 'would-member@inv.test'), await tokenFromMail(t, 'would-member@inv.test', 'accept-invitation'))).json()).toEqual({
      orgId,
      role: 'member',
    })

    // Removed, left, or no longer owner after handing ownership over: each one's invitations end at once.
    const removed = await addMember(t, owner, orgId, 'adm-rm@inv.test', 'admin')
    const leaving = await addMember(t, owner, orgId, 'adm-leave@inv.test', 'admin')
    const fromRemoved = (await invite(t, removed.cookie, orgId, 'via-rm@inv.test', 'viewer')).json<{ id: string }>().id
    const fromLeaving = (await invite(t, leaving.cookie, orgId, 'via-leave@inv.test', 'viewer')).json<{ id: string }>().id
    const fromOwner = (await invite(t, owner, orgId, 'via-owner@inv.test', 'owner')).json<{ id: string }>().id
    expect((await removeMember(owner, orgId, removed.accountId)).statusCode).toBe(204)
    expect((await removeMember(leaving.cookie, orgId, leaving.accountId)).statusCode).toBe(204)
    expect(
      (await t.app.inject({ method: 'POST', url: `/v1/orgs/${orgId}/ownership`, headers: { cookie: owner }, payload: { accountId: second.accountId } }))
        .statusCode,
    ).toBe(204)
    const after = await listedIds(owner, orgId)
    for (const id of [fromRemoved, fromLeaving, fromOwner]) expect(after).not.toContain(id)
    const revoked = (await revokedEvents(orgId)).map((e) => (e.details as { targetInvitationId?: string }).targetInvitationId)
    expect(revoked.sort()).toEqual([toOwner, fromRemoved, fromLeaving, fromOwner].sort())
    // Back in with the right: still dead.
    await addMember(t, second.cookie, orgId, 'adm-rm@inv.test', 'admin', removed.cookie)
    expect((await accept(t, await signedIn(t, 'via-rm@inv.test'), await tokenFromMail(t, 'via-rm@inv.test', 'accept-invitation'))).statusCode).toBe(400)
  })

  it('lets a demotion and an accept that race take effect in one order or the other, never the accept after the demotion', async () => {
    for (let round = 0; round < 6; round += 1) {
      const owner = await signedIn(t, `own-race${round}@inv.test`)
      const orgId = await createOrg(t, owner)
      const admin = await addMember(t, owner, orgId, `adm-race${round}@inv.test`, 'admin')
      const address = `plant-race${round}@inv.test`
      await invite(t, admin.cookie, orgId, address, 'admin')
      const token = await tokenFromMail(t, address, 'accept-invitation')
      const invitee = await signedIn(t, address)
      const inviteeId = await accountIdOf(t, invitee)
      const [demoted, accepted] = await Promise.all([patchRole(owner, orgId, admin.accountId, 'viewer'), accept(t, invitee, token)])
      expect(demoted.statusCode, `round ${round}`).toBe(200)
      const events = await t.deps.db.selectFrom('security_events').select(['id', 'type']).where('org_id', '=', orgId).orderBy('id').execute()
      const at = (type: string) => events.findIndex((e) => e.type === type)
      const joined = await t.deps.db.selectFrom('memberships').select('role').where('org_id', '=', orgId).where('account_id', '=', inviteeId).execute()
      if (accepted.statusCode === 200) {
        // The accept ran first: it joined as the invitation said, before the demotion was recorded.
        expect(joined).toEqual([{ role: 'admin' }])
        expect(at('member.joined')).toBeLessThan(at('member.role_changed'))
      } else {
        expect(accepted.json(), `round ${round}`).toMatchObject({ error: 'invalid_token' })
        expect(joined).toEqual([])
        expect(at('invitation.revoked')).toBeGreaterThan(at('member.role_changed'))
        expect((await patchRole(owner, orgId, admin.accountId, 'admin')).statusCode).toBe(200)
        expect((await accept(t, invitee, token)).statusCode).toBe(400)
      }
    }
  })

  it('never leaves a live invitation from an inviter demoted while sending it', async () => {
    for (let round = 0; round < 6; round += 1) {
      const owner = await signedIn(t, `own-send${round}@inv.test`)
      const orgId = await createOrg(t, owner)
      const admin = await addMember(t, owner, orgId, `adm-send${round}@inv.test`, 'admin')
      const address = `sent-race${round}@inv.test`
      const [sent, demoted] = await Promise.all([invite(t, admin.cookie, orgId, address, 'admin'), patchRole(owner, orgId, admin.accountId, 'viewer')])
      expect(demoted.statusCode).toBe(200)
      expect([201, 403]).toContain(sent.statusCode)
      expect(await listedIds(owner, orgId)).toEqual([])
      if (sent.statusCode === 201) {
        expect((await patchRole(owner, orgId, admin.accountId, 'admin')).statusCode).toBe(200)
        expect((await accept(t, await signedIn(t, address), await tokenFromMail(t, address, 'accept-invitation'))).statusCode).toBe(400)
      }
    }
  })

  it('keeps an invited address as typed, as accounts do, and treats its spellings as one address: replacing, limiting and accepting', async () => {
    // QA expected the invited address in lower case. Accounts keep the case as typed too
    // (src/mail/address.ts: normalizeEmail stores, emailKey compares), so an invitation does the same.
    const owner = await signedIn(t, 'own-case@inv.test')
    const orgId = await createOrg(t, owner)
    const first = await invite(t, owner, orgId, 'Pat.Case@INV.test', 'member')
    expect(first.json()).toMatchObject({ email: 'Pat.Case@INV.test' })
    const firstToken = await tokenFromMail(t, 'Pat.Case@INV.test', 'accept-invitation')
    // Another spelling of the same address replaces the pending invitation: only the newest link works.
    const second = await invite(t, owner, orgId, 'pat.case@inv.TEST', 'viewer')
    expect(second.json()).toMatchObject({ email: 'pat.case@inv.TEST' })
    expect(await listedIds(owner, orgId)).toEqual([second.json<{ id: string }>().id])
    const stored = await t.deps.db.selectFrom('invitations').select(['email', 'revoked_at']).where('org_id', '=', orgId).execute()
    expect(Object.fromEntries(stored.map((r) => [r.email, r.revoked_at === null ? 'pending' : 'revoked']))).toEqual({
      'Pat.Case@INV.test': 'revoked',
      'pat.case@inv.TEST': 'pending',
    })
    // The per-address limit counts every spelling as one address.
    for (let i = 0; i < 8; i += 1) await invite(t, owner, orgId, i % 2 === 0 ? 'PAT.CASE@inv.test' : 'pat.case@inv.test', 'viewer')
    expect((await invite(t, owner, orgId, 'pAt.cAsE@iNv.TeSt', 'viewer')).statusCode).toBe(429)
    // The account, in its own spelling, accepts the newest link; the replaced one is dead.
    const account = await signedIn(t, 'PAT.CASE@inv.test')
    expect((await accept(t, account, firstToken)).json()).toMatchObject({ error: 'invalid_token' })
    expect((await accept(t, account, await tokenFromMail(t, 'pat.case@inv.test', 'accept-invitation'))).json()).toEqual({ orgId, role: 'viewer' })
  })

  it('keeps the limit on organizations an account belongs to when it joins one (422 org_limit_reached)', async () => {
    // Found by a scan: the limit held for creating organizations only, and GET /v1/orgs then left the extra ones out.
    const owner = await signedIn(t, 'own-limit@inv.test')
    const orgId = await createOrg(t, owner)
    await invite(t, owner, orgId, 'full@inv.test', 'viewer')
    const full = await signedIn(t, 'full@inv.test')
    const fullId = await idOfEmail(t, 'full@inv.test')
    const orgs = await t.deps.db
      .insertInto('organizations')
      .values(Array.from({ length: MAX_MEMBERSHIPS_PER_ACCOUNT }, (_, i) => ({ name: `Filler ${i}` })))
      .returning('id')
      .execute()
    await t.deps.db
      .insertInto('memberships')
      .values(orgs.map((o) => ({ org_id: o.id, account_id: fullId, role: 'owner' })))
      .execute()
    const res = await accept(t, full, await tokenFromMail(t, 'full@inv.test', 'accept-invitation'))
    expect(res.statusCode).toBe(422)
    expect(res.json()).toMatchObject({ error: 'org_limit_reached' })
  })

  it('refuses an expired invitation, and a revoked one', async () => {
    const owner = await signedIn(t, 'own3@inv.test')
    const orgId = await createOrg(t, owner)
    await signedIn(t, 'late@inv.test')
    await invite(t, owner, orgId, 'late@inv.test', 'member')
    const token = await tokenFromMail(t, 'late@inv.test', 'accept-invitation')
    t.clock.advance(7 * 24 * 3600 + 1)
    // Sessions do not live 7 days: sign in again on both sides.
    const invitee = sessionCookieFrom(await login(t, 'late@inv.test'))
    const owner2 = sessionCookieFrom(await login(t, 'own3@inv.test'))
    expect((await accept(t, invitee, token)).json()).toMatchObject({ error: 'invalid_token' })
    const second = await invite(t, owner2, orgId, 'late@inv.test', 'member')
    const token2 = await tokenFromMail(t, 'late@inv.test', 'accept-invitation')
    const revoked = await t.app.inject({
      method: 'DELETE',
      url: `/v1/orgs/${orgId}/invitations/${second.json<{ id: string }>().id}`,
      headers: { cookie: owner2 },
    })
    expect(revoked.statusCode).toBe(204)
    expect((await accept(t, invitee, token2)).json()).toMatchObject({ error: 'invalid_token' })
  })

  it('never invites to a role above the inviter (403), and members cannot invite at all', async () => {
    const owner = await signedIn(t, 'own4@inv.test')
    const orgId = await createOrg(t, owner)
    await invite(t, owner, orgId, 'adm4@inv.test', 'admin')
    const admin = await signedIn(t, 'adm4@inv.test')
    await accept(t, admin, await tokenFromMail(t, 'adm4@inv.test', 'accept-invitation'))
    const aboveRank = await invite(t, admin, orgId, 'boss@inv.test', 'owner')
    expect(aboveRank.statusCode).toBe(403)
    expect(aboveRank.json()).toMatchObject({ error: 'forbidden' })
    expect((await invite(t, admin, orgId, 'peer@inv.test', 'admin')).statusCode).toBe(201)
    await invite(t, owner, orgId, 'mem4@inv.test', 'member')
    const member = await signedIn(t, 'mem4@inv.test')
    await accept(t, member, await tokenFromMail(t, 'mem4@inv.test', 'accept-invitation'))
    expect((await invite(t, member, orgId, 'friend@inv.test', 'viewer')).statusCode).toBe(403)
    expect(await mailsTo(t, 'boss@inv.test')).toEqual([])
    expect(await mailsTo(t, 'friend@inv.test')).toEqual([])
  })

  it('answers an invitation to a current member like any other (no enumeration), and accepting it is 409', async () => {
    const owner = await signedIn(t, 'own5@inv.test')
    const orgId = await createOrg(t, owner)
    const stranger = await invite(t, owner, orgId, 'nobody5@inv.test', 'member')
    const self = await invite(t, owner, orgId, 'own5@inv.test', 'member')
    expect(self.statusCode).toBe(stranger.statusCode)
    expect(Object.keys(self.json<object>()).sort()).toEqual(Object.keys(stranger.json<object>()).sort())
    const token = await tokenFromMail(t, 'own5@inv.test', 'accept-invitation')
    expect((await accept(t, owner, token)).json()).toMatchObject({ error: 'already_member' })
    const roles = await t.deps.db.selectFrom('memberships').select('role').where('org_id', '=', orgId).execute()
    expect(roles).toEqual([{ role: 'owner' }])
  })

  it('lets one sender mail one address at most 10 invitations an hour (429), from any of their organizations; another sender is not held up', async () => {
    // Found by a scan: the 10 were counted per address across every sender, so one organization
    // could keep everyone else from inviting an address for an hour, again and again.
    const owner = await signedIn(t, 'own6@inv.test')
    const orgId = await createOrg(t, owner)
    const otherOrg = await createOrg(t, owner, 'Second')
    for (let i = 0; i < 10; i += 1) expect((await invite(t, owner, orgId, 'target@inv.test', 'viewer')).statusCode).toBe(201)
    const over = await invite(t, owner, orgId, 'target@inv.test', 'viewer')
    expect(over.statusCode).toBe(429)
    expect(over.headers['retry-after']).toBeDefined()
    expect((await invite(t, owner, otherOrg, 'target@inv.test', 'viewer')).statusCode).toBe(429)
    expect(await mailsTo(t, 'target@inv.test')).toHaveLength(10)
    const someoneElse = await signedIn(t, 'own6b@inv.test')
    expect((await invite(t, someoneElse, await createOrg(t, someoneElse), 'target@inv.test', 'viewer')).statusCode).toBe(201)
  })

  it('forgets ended invitations, and the addresses they hold, 30 days later', async () => {
    const owner = await signedIn(t, 'own7@inv.test')
    const orgId = await createOrg(t, owner)
    await invite(t, owner, orgId, 'forget-me@inv.test', 'viewer')
    const count = async () => (await t.deps.db.selectFrom('invitations').select('id').where('email', '=', 'forget-me@inv.test').execute()).length
    await runHousekeeping(t.deps)
    expect(await count()).toBe(1)
    t.clock.advance(38 * 86_400)
    await runHousekeeping(t.deps)
    expect(await count()).toBe(0)
  })

  it('needs a signed-in session to accept', async () => {
    expect((await t.app.inject({ method: 'POST', url: '/v1/invitations/accept', payload: { token: 'x'.repeat(43) } })).statusCode).toBe(401)
  })
})

describe('invitations and unverified addresses', () => {
  const t = useTestApp({ env: { REQUIRE_VERIFIED_EMAIL: 'false' } })

  it('refuses an account whose address is not verified (403 email_not_verified), and stays usable', async () => {
    const owner = await signedIn(t, 'own@unv.test')
    const orgId = await createOrg(t, owner)
    await invite(t, owner, orgId, 'unverified@unv.test', 'member')
    const token = await tokenFromMail(t, 'unverified@unv.test', 'accept-invitation')
    await register(t, 'unverified@unv.test')
    const session = sessionCookieFrom(await login(t, 'unverified@unv.test'))
    const refused = await accept(t, session, token)
    expect(refused.statusCode).toBe(403)
    expect(refused.json()).toMatchObject({ error: 'email_not_verified' })
    const verifyToken = await tokenFromMail(t, 'unverified@unv.test', 'verify-email')
    expect((await t.app.inject({ method: 'POST', url: '/v1/auth/verify-email', payload: { token: verifyToken, password: STRONG_PASSWORD } })).statusCode).toBe(
      204,
    )
    expect((await accept(t, session, token)).json()).toEqual({ orgId, role: 'member' })
  })
})
