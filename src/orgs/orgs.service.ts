// Organizations (tenants). Owns: organizations, memberships (with members.service.ts). Invariants:
// - the creator is the first owner, in the same transaction as the organization;
// - membership is resolved from the database on every request (no cache outlives a removal);
// - mfaRequired can only be turned on by someone who has a second factor;
// - deletion takes memberships, invitations, tenant rows and bound tokens with it (cascade), and is
//   recorded in the organization's trail, which outlives it.
import { lockAccount } from '../accounts/accounts.service.js'
import type { Trx } from '../db/db.js'
import type { Deps } from '../deps.js'
import { CommonErrors } from '../errors.js'
import { recordOrgEvent } from './org-events.js'
import { OrgErrors } from './orgs.errors.js'
import * as repo from './orgs.repo.js'
import type { OrgContext, OrgMeta } from './orgs.types.js'
import { CREATOR_ROLE } from './roles.js'
import type { OrgSummary, OrgView } from './orgs.schemas.js'

/** Memberships one account may hold: bounds what a single account can create. */
export const MAX_MEMBERSHIPS_PER_ACCOUNT = 100

export type { OrgSummary, OrgView }

/** Creates an organization with the caller as its owner. Throws org_limit_reached (422). */
export async function createOrg(deps: Deps, accountId: string, name: string, meta: OrgMeta): Promise<OrgSummary & { createdAt: string }> {
  const now = deps.clock.now()
  return deps.db.transaction().execute(async (trx) => {
    // The account row first, as accepting an invitation does: parallel creates (and an accept) count
    // in turn, so none passes the cap on a count another is about to outgrow.
    if ((await lockAccount(trx, accountId)) === undefined) throw CommonErrors.unauthenticated()
    if ((await repo.countMemberships(trx, accountId)) >= MAX_MEMBERSHIPS_PER_ACCOUNT) throw OrgErrors.tooManyOrgs(MAX_MEMBERSHIPS_PER_ACCOUNT)
    const org = await repo.insertOrg(trx, name, now)
    await repo.insertMembership(trx, { org_id: org.id, account_id: accountId, role: CREATOR_ROLE, created_at: now })
    await recordOrgEvent(trx, { type: 'org.created', orgId: org.id, actorId: accountId, meta, at: now })
    return { id: org.id, name: org.name, role: CREATOR_ROLE, createdAt: org.created_at.toISOString() }
  })
}

/** The caller's organizations; a token bound to one organization sees only that one. */
export async function listOrgs(deps: Deps, accountId: string, onlyOrgId: string | null): Promise<OrgSummary[]> {
  return repo.listForAccount(deps.db, accountId, onlyOrgId, MAX_MEMBERSHIPS_PER_ACCOUNT)
}

/** The caller's role and the organization's policy; undefined for a non-member (or no such org). */
export async function resolveMembership(deps: Pick<Deps, 'db'>, orgId: string, accountId: string): Promise<repo.MembershipRow | undefined> {
  return repo.findMembership(deps.db, orgId, accountId)
}

/**
 * Throws not_found (404) unless the account is a member (never telling whether the organization
 * exists), and holds the membership until `trx` ends. For what the member binds to the organization
 * in that transaction (an API token): a removal that starts meanwhile waits, then revokes it; one
 * that came first leaves nothing to hold (found by a scan: a token made beside its member's removal
 * outlived it).
 */
export async function holdMembership(trx: Trx, orgId: string, accountId: string, multiFactor: boolean): Promise<void> {
  const membership = await repo.shareMember(trx, orgId, accountId)
  if (membership === undefined) throw OrgErrors.notFound()
  // A token made by a single-factor sign-in would be turned away by the organization: refuse to make it.
  if (membership.mfa_required && !multiFactor) throw OrgErrors.mfaRequired()
}

export function viewOf(ctx: OrgContext): OrgView {
  return { id: ctx.orgId, name: ctx.orgName, role: ctx.role, mfaRequired: ctx.mfaRequired, createdAt: ctx.createdAt.toISOString() }
}

/**
 * Renames the organization and/or sets its mfaRequired policy. Turning the policy on needs a caller
 * signed in with two factors (`ctx.multiFactor`), who would otherwise lock themself out: else 403 mfa_required.
 */
export async function updateOrg(
  deps: Deps,
  ctx: OrgContext,
  patch: { name?: string | undefined; mfaRequired?: boolean | undefined },
  meta: OrgMeta,
): Promise<OrgView> {
  if (patch.mfaRequired === true && !ctx.multiFactor) throw OrgErrors.mfaRequired()
  const now = deps.clock.now()
  return deps.db.transaction().execute(async (trx) => {
    const before = await repo.lockOrg(trx, ctx.orgId)
    if (before === undefined) throw OrgErrors.notFound()
    const set: { name?: string; mfa_required?: boolean } = {}
    if (patch.name !== undefined && patch.name !== before.name) set.name = patch.name
    if (patch.mfaRequired !== undefined && patch.mfaRequired !== before.mfa_required) set.mfa_required = patch.mfaRequired
    const after = Object.keys(set).length === 0 ? before : await repo.updateOrg(trx, ctx.orgId, set)
    if (set.name !== undefined) await recordOrgEvent(trx, { type: 'org.renamed', orgId: ctx.orgId, actorId: ctx.accountId, meta, at: now })
    if (set.mfa_required !== undefined)
      await recordOrgEvent(trx, {
        type: 'org.policy_changed',
        orgId: ctx.orgId,
        actorId: ctx.accountId,
        meta,
        at: now,
        details: { mfaRequired: set.mfa_required },
      })
    return { id: after.id, name: after.name, role: ctx.role, mfaRequired: after.mfa_required, createdAt: after.created_at.toISOString() }
  })
}

/**
 * Holds the organization's row until `trx` ends, for a change that counts what it owns before adding
 * to it (projects): parallel changes count in turn. Throws not_found when it is gone.
 */
export async function lockOrganization(trx: Trx, orgId: string): Promise<void> {
  if ((await repo.lockOrg(trx, orgId)) === undefined) throw OrgErrors.notFound()
}

/** Deletes the organization and everything it owns. The caller's password was checked by the route. */
export async function deleteOrg(deps: Deps, ctx: OrgContext, meta: OrgMeta): Promise<void> {
  const now = deps.clock.now()
  await deps.db.transaction().execute(async (trx) => {
    await lockOrganization(trx, ctx.orgId)
    await recordOrgEvent(trx, { type: 'org.deleted', orgId: ctx.orgId, actorId: ctx.accountId, meta, at: now })
    await repo.deleteOrg(trx, ctx.orgId)
  })
}
