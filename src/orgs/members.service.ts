// Memberships: list, change role, remove, leave, transfer ownership, and the last-owner rule.
// Invariants:
// - rank: nobody grants or changes a role above their own (src/orgs/roles.ts), judged on the
//   actor's role as locked in the same transaction, not as it was when the request began;
// - an organization never loses its last owner: every change that could remove an owner first locks
//   the organization's owner rows (SELECT ... FOR UPDATE), so racing demotions run in turn;
// - a member's tokens bound to the organization end when the member leaves or is removed;
// - so do the invitations they sent that they may no longer send (removal, leaving, demotion, handing
//   over ownership, account deletion), revoked and recorded in the same transaction, after the
//   member's row is locked: an accept holds that row before it locks the invitation;
// - account deletion leaves every organization on the record (member.left, reason account_deleted).
import { accountEmails } from '../accounts/accounts.service.js'
import { revokeOrgTokens } from '../api-tokens/api-tokens.service.js'
import { lockChainsInOrder } from '../audit/audit-org.js'
import type { Db, Trx } from '../db/db.js'
import type { Deps } from '../deps.js'
import { revokeInvitationsBeyondRight } from './invitations.service.js'
import { type OrgEventMeta, recordOrgEvent } from './org-events.js'
import { OrgErrors } from './orgs.errors.js'
import * as repo from './orgs.repo.js'
import type { OrgContext, OrgMeta } from './orgs.types.js'
import { CREATOR_ROLE, isRole, mayGrant, mayManage, type Role } from './roles.js'
import type { MemberView } from './orgs.schemas.js'

export const MAX_MEMBERS_LISTED = 1000

export type { MemberView }

type MemberRow = Awaited<ReturnType<typeof repo.listMembers>>[number]

/** The members with their addresses from src/accounts; a membership whose account is gone is left out. */
async function withEmails(db: Db, rows: MemberRow[]): Promise<MemberView[]> {
  const emails = await accountEmails(
    db,
    rows.map((r) => r.account_id),
  )
  return rows.flatMap((r) => {
    const email = emails.get(r.account_id)
    return email === undefined ? [] : [{ accountId: r.account_id, email, role: r.role, joinedAt: r.created_at.toISOString() }]
  })
}

export async function listMembers(deps: Pick<Deps, 'db'>, orgId: string): Promise<MemberView[]> {
  return withEmails(deps.db, await repo.listMembers(deps.db, orgId, MAX_MEMBERS_LISTED))
}

/** The actor's role now (locked), or not_found when the actor was removed meanwhile. */
async function lockActor(trx: Trx, ctx: OrgContext): Promise<Role> {
  const actor = await repo.lockMember(trx, ctx.orgId, ctx.accountId)
  if (actor === undefined || !isRole(actor.role)) throw OrgErrors.notFound()
  return actor.role
}

/**
 * Sets a member's role. 403 forbidden when the target's role or the new role is above the actor's;
 * 409 last_owner when it would leave the organization without an owner; 404 for a non-member.
 */
export async function changeRole(deps: Deps, ctx: OrgContext, targetId: string, role: string, meta: OrgMeta): Promise<MemberView> {
  if (!isRole(role)) throw OrgErrors.invalidRole()
  const now = deps.clock.now()
  return deps.db.transaction().execute(async (trx) => {
    const owners = await repo.lockMembersWithRole(trx, ctx.orgId, CREATOR_ROLE)
    const actorRole = await lockActor(trx, ctx)
    const target = await repo.lockMember(trx, ctx.orgId, targetId)
    if (target === undefined || !isRole(target.role)) throw OrgErrors.memberNotFound()
    if (!mayManage(actorRole, target.role) || !mayGrant(actorRole, role)) throw OrgErrors.forbidden()
    if (target.role === CREATOR_ROLE && role !== CREATOR_ROLE && owners.length <= 1) throw OrgErrors.lastOwner()
    if (target.role !== role) {
      await repo.setRole(trx, ctx.orgId, targetId, role)
      await recordOrgEvent(trx, {
        type: 'member.role_changed',
        orgId: ctx.orgId,
        actorId: ctx.accountId,
        meta,
        at: now,
        target: { accountId: targetId },
        details: { from: target.role, to: role },
      })
      await revokeInvitationsBeyondRight(trx, { orgId: ctx.orgId, inviterId: targetId, inviterRole: role, actorId: ctx.accountId, meta, at: now })
    }
    const row = (await repo.listMembers(trx, ctx.orgId, MAX_MEMBERS_LISTED)).find((m) => m.account_id === targetId)
    const [member] = await withEmails(trx, row === undefined ? [] : [row])
    if (member === undefined) throw OrgErrors.memberNotFound()
    return member
  })
}

/**
 * Removes a member, or lets the caller leave (targetId = own id). Removing someone else needs
 * members:write (checked by the route) and rank; the last owner can neither leave nor be removed
 * (409 last_owner). The member's tokens bound to the organization end in the same transaction.
 */
export async function removeMember(deps: Deps, ctx: OrgContext, targetId: string, meta: OrgMeta): Promise<void> {
  const now = deps.clock.now()
  const leaving = targetId === ctx.accountId
  await deps.db.transaction().execute(async (trx) => {
    const owners = await repo.lockMembersWithRole(trx, ctx.orgId, CREATOR_ROLE)
    const actorRole = await lockActor(trx, ctx)
    const target = leaving ? { role: actorRole } : await repo.lockMember(trx, ctx.orgId, targetId)
    if (target === undefined || !isRole(target.role)) throw OrgErrors.memberNotFound()
    if (!leaving && !mayManage(actorRole, target.role)) throw OrgErrors.forbidden()
    if (target.role === CREATOR_ROLE && owners.length <= 1) throw OrgErrors.lastOwner()
    await repo.deleteMembership(trx, ctx.orgId, targetId)
    const tokensRevoked = await revokeOrgTokens(trx, ctx.orgId, targetId, now)
    await recordOrgEvent(trx, {
      type: leaving ? 'member.left' : 'member.removed',
      orgId: ctx.orgId,
      actorId: ctx.accountId,
      meta,
      at: now,
      target: { accountId: targetId },
      details: { role: target.role, tokensRevoked },
    })
    await revokeInvitationsBeyondRight(trx, { orgId: ctx.orgId, inviterId: targetId, inviterRole: undefined, actorId: ctx.accountId, meta, at: now })
  })
}

/**
 * Hands ownership to another member atomically: the target becomes owner and the caller admin in one
 * transaction, so the organization never has zero owners and never two by accident.
 */
export async function transferOwnership(deps: Deps, ctx: OrgContext, targetId: string, meta: OrgMeta): Promise<void> {
  if (targetId === ctx.accountId) throw OrgErrors.forbidden('You already own this organization')
  const now = deps.clock.now()
  await deps.db.transaction().execute(async (trx) => {
    await repo.lockMembersWithRole(trx, ctx.orgId, CREATOR_ROLE)
    if ((await lockActor(trx, ctx)) !== CREATOR_ROLE) throw OrgErrors.forbidden()
    const target = await repo.lockMember(trx, ctx.orgId, targetId)
    if (target === undefined) throw OrgErrors.memberNotFound()
    await repo.setRole(trx, ctx.orgId, targetId, CREATOR_ROLE)
    await repo.setRole(trx, ctx.orgId, ctx.accountId, 'admin')
    await recordOrgEvent(trx, {
      type: 'org.ownership_transferred',
      orgId: ctx.orgId,
      actorId: ctx.accountId,
      meta,
      at: now,
      target: { accountId: targetId },
      details: { from: target.role },
    })
    await revokeInvitationsBeyondRight(trx, { orgId: ctx.orgId, inviterId: ctx.accountId, inviterRole: 'admin', actorId: ctx.accountId, meta, at: now })
  })
}

/**
 * For account deletion (src/accounts): throws 409 last_owner when the account is the only owner of
 * any organization. Call inside the deleting transaction: it locks those owner rows until commit.
 */
export async function assertNotLastOwnerAnywhere(trx: Trx, accountId: string): Promise<void> {
  const rows = await repo.lockOwnersOfOrgsOwnedBy(trx, accountId, CREATOR_ROLE)
  const owners = new Map<string, number>()
  for (const row of rows) owners.set(row.org_id, (owners.get(row.org_id) ?? 0) + 1)
  if ([...owners.values()].some((n) => n <= 1)) throw OrgErrors.lastOwner()
}

/** Every membership of an account, far above the 100 an account may hold (MAX_MEMBERSHIPS_PER_ACCOUNT). */
const ALL_MEMBERSHIPS = 10_000

/** The organizations the account belongs to, by id (the order their rows are locked in). */
async function orgIdsOf(trx: Trx, accountId: string): Promise<string[]> {
  return (await repo.listForAccount(trx, accountId, null, ALL_MEMBERSHIPS)).map((o) => o.id).sort()
}

/**
 * For account deletion, inside the deleting transaction, before the account row is locked: locks the
 * account's memberships. An invitation the account sends locks its membership, then (by foreign key)
 * its account row; deletion takes them in the same order, so the two never deadlock.
 */
export async function lockMembershipsOf(trx: Trx, accountId: string): Promise<void> {
  for (const orgId of await orgIdsOf(trx, accountId)) await repo.lockMember(trx, orgId, accountId)
}

/**
 * For account deletion, once the account row is locked (so the account joins nothing more): records
 * member.left (reason account_deleted, actor and target the account's id, no address) in every
 * organization it belongs to, and revokes the invitations it sent there. The deletion of the account
 * row removes the memberships themselves.
 */
export async function leaveEveryOrganization(trx: Trx, accountId: string, meta: OrgEventMeta, now: Date): Promise<void> {
  const orgIds = await orgIdsOf(trx, accountId)
  // One transaction appends to several chains here: their locks lowest first, so two never wait in a circle.
  await lockChainsInOrder(trx, { orgIds, accountId })
  for (const orgId of orgIds) {
    const member = await repo.lockMember(trx, orgId, accountId)
    if (member === undefined) continue
    await recordOrgEvent(trx, {
      type: 'member.left',
      orgId,
      actorId: accountId,
      meta,
      at: now,
      target: { accountId },
      details: { role: member.role, reason: 'account_deleted' },
    })
    await revokeInvitationsBeyondRight(trx, { orgId, inviterId: accountId, inviterRole: undefined, actorId: accountId, meta, at: now })
  }
}
