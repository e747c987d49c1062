// Test helpers for organizations: create one, and bring an account in through the real invitation
// flow (invite, read the mailed link from the outbox, accept), so tests exercise what users do.
import type { LightMyRequestResponse } from 'fastify'
import { signedIn, tokenFromMail } from './factories.js'
import type { TestApp } from './test-app.js'

export async function createOrg(t: TestApp, cookie: string, name = 'Acme'): Promise<string> {
  const res = await t.app.inject({ method: 'POST', url: '/v1/orgs', headers: { cookie }, payload: { name } })
  if (res.statusCode !== 201) throw new Error(`create org answered ${res.statusCode}: ${res.body}`)
  return res.json<{ id: string }>().id
}

export async function invite(t: TestApp, cookie: string, orgId: string, email: string, role: string): Promise<LightMyRequestResponse> {
  return t.app.inject({ method: 'POST', url: `/v1/orgs/${orgId}/invitations`, headers: { cookie }, payload: { email, role } })
}

export async function accept(t: TestApp, cookie: string, token: string): Promise<LightMyRequestResponse> {
  return t.app.inject({ method: 'POST', url: '/v1/invitations/accept', headers: { cookie }, payload: { token } })
}

/** Signs `email` up (when `cookie` is not given), invites it as `role` and accepts; returns its cookie and account id. */
export async function addMember(
  t: TestApp,
  ownerCookie: string,
  orgId: string,
  email: string,
  role: string,
  cookie?: string,
): Promise<{ cookie: string; accountId: string }> {
  const memberCookie = cookie ?? (await signedIn(t, email))
  const invited = await invite(t, ownerCookie, orgId, email, role)
  if (invited.statusCode !== 201) throw new Error(`invite answered ${invited.statusCode}: ${invited.body}`)
  const accepted = await accept(t, memberCookie, await tokenFromMail(t, email, 'accept-invitation'))
  if (accepted.statusCode !== 200) throw new Error(`accept answered ${accepted.statusCode}: ${accepted.body}`)
  return { cookie: memberCookie, accountId: await accountIdOf(t, memberCookie) }
}

export async function accountIdOf(t: TestApp, cookie: string): Promise<string> {
  const me = await t.app.inject({ method: 'GET', url: '/v1/me', headers: { cookie } })
  return me.json<{ id: string }>().id
}

/** An API token bound to `orgId` with `scopes`. */
export async function orgToken(t: TestApp, cookie: string, orgId: string, scopes: string[]): Promise<string> {
  const res = await t.app.inject({ method: 'POST', url: '/v1/tokens', headers: { cookie }, payload: { name: 'ci', scopes, orgId } })
  if (res.statusCode !== 201) throw new Error(`token answered ${res.statusCode}: ${res.body}`)
  return res.json<{ token: string }>().token
}
