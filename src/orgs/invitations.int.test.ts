import { describe, expect, it } from 'vitest'
import { runHousekeeping } from '../housekeeping.js'
import { login, mailsTo, register, sessionCookieFrom, signedIn, STRONG_PASSWORD, tokenFromMail } from '../testing/factories.js'
import { accept, addMember, createOrg, invite } from '../testing/orgs.js'
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
