import { describe, expect, it } from 'vitest'
import { enableTotp, signedIn } from '../testing/factories.js'
import { accountIdOf, addMember, createOrg } from '../testing/orgs.js'
import { useTestApp } from '../testing/test-app.js'

describe('organization policy mfaRequired', () => {
  const t = useTestApp()

  it('can only be turned on by someone with a second factor (403 mfa_required)', async () => {
    let owner = await signedIn(t, 'own@omfa.test')
    const orgId = await createOrg(t, owner)
    const refused = await t.app.inject({ method: 'PATCH', url: `/v1/orgs/${orgId}`, headers: { cookie: owner }, payload: { mfaRequired: true } })
    expect(refused.statusCode).toBe(403)
    expect(refused.json()).toMatchObject({ error: 'mfa_required' })
    owner = (await enableTotp(t, owner)).cookie
    const done = await t.app.inject({ method: 'PATCH', url: `/v1/orgs/${orgId}`, headers: { cookie: owner }, payload: { mfaRequired: true } })
    expect(done.statusCode).toBe(200)
    expect(done.json()).toMatchObject({ mfaRequired: true })
  })

  it('turns away members without a second factor (403 mfa_required), who may still leave', async () => {
    let owner = await signedIn(t, 'own2@omfa.test')
    const orgId = await createOrg(t, owner)
    const member = await addMember(t, owner, orgId, 'mem2@omfa.test', 'admin')
    const other = await addMember(t, owner, orgId, 'oth2@omfa.test', 'viewer')
    owner = (await enableTotp(t, owner)).cookie
    await t.app.inject({ method: 'PATCH', url: `/v1/orgs/${orgId}`, headers: { cookie: owner }, payload: { mfaRequired: true } })
    for (const [method, url] of [
      ['GET', `/v1/orgs/${orgId}`],
      ['GET', `/v1/orgs/${orgId}/projects`],
      ['DELETE', `/v1/orgs/${orgId}/members/${other.accountId}`],
    ] as const) {
      const res = await t.app.inject({ method, url, headers: { cookie: member.cookie } })
      expect(res.statusCode).toBe(403)
      expect(res.json()).toMatchObject({ error: 'mfa_required' })
    }
    expect((await t.app.inject({ method: 'GET', url: `/v1/orgs/${orgId}/projects`, headers: { cookie: owner } })).statusCode).toBe(200)
    const left = await t.app.inject({ method: 'DELETE', url: `/v1/orgs/${orgId}/members/${member.accountId}`, headers: { cookie: member.cookie } })
    expect(left.statusCode).toBe(204)
    expect(await accountIdOf(t, member.cookie)).toBe(member.accountId)
  })
})
