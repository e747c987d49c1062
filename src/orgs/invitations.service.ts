// Invitations into an organization. Invariants:
// - the token is 32 CSPRNG bytes, mailed once through the outbox (in the inviting transaction) in the
//   link's fragment; only its SHA-256 is stored; it works once and for 7 days;
// - it is accepted only by a signed-in account whose *verified* address is the invited one; any other
//   attempt changes nothing, so the invitation stays usable for the right account;
// - nobody invites to a role above their own; inviting an address that already has a membership
//   answers exactly like any other invitation (no enumeration of accounts or members);
// - an invitation dies with its inviter's right to send it, for good: the change that takes the right
//   (demotion, removal, leaving, handing over ownership, account deletion) revokes it in its own
//   transaction, and an accept checks the inviter's role again;
// - locks are taken organization, then membership, then invitation (inviting and accepting), or
//   membership, then invitation (the changes above), so none of them can deadlock with another.
import { accountContact, accountEmails, lockAccount } from '../accounts/accounts.service.js'
import { sha256 } from '../crypto/hash.js'
import { randomToken } from '../crypto/random.js'
import type { Trx } from '../db/db.js'
import type { Deps } from '../deps.js'
import { CommonErrors } from '../errors.js'
import { emailKey, normalizeEmail } from '../mail/address.js'
import { enqueueMail } from '../mail/outbox.js'
import { mailContext, mails } from '../mail/templates.js'
import { accountKey, reserveAttempt } from '../throttle/throttle.service.js'
import * as invitationsRepo from './invitations.repo.js'
import { type OrgEventMeta, recordOrgEvent } from './org-events.js'
import { OrgErrors } from './orgs.errors.js'
import * as repo from './orgs.repo.js'
import { MAX_MEMBERSHIPS_PER_ACCOUNT } from './orgs.service.js'
import type { OrgContext, OrgMeta } from './orgs.types.js'
import { effectivePermissions, isRole, mayGrant, ROLE_NAMES, type Role } from './roles.js'
import type { InvitationView, PendingInvitationView } from './orgs.schemas.js'

export const INVITATION_TTL_SECONDS = 7 * 24 * 60 * 60
/** Pending invitations per organization: bounds the mail one admin can make the server send. */
export const MAX_PENDING_INVITATIONS = 100
/** Invitation mails one address may receive per hour, from all organizations together (mail bombing). */
export const INVITATIONS_PER_SENDER_AND_ADDRESS_PER_HOUR = 10

export type { InvitationView, PendingInvitationView }

/** May a member holding `inviter` send, or still stand behind, an invitation to `role`? */
function mayInvite(inviter: Role, role: Role): boolean {
  return effectivePermissions(inviter, null).has('members:write') && mayGrant(inviter, role)
}

/** Invites `email` as `role`. 403 forbidden above the inviter's rank; 422 invalid_role / invitation_limit_reached. */
export async function invite(deps: Deps, ctx: OrgContext, input: { email: string; role: string }, meta: OrgMeta): Promise<InvitationView> {
  const { role } = input
  if (!isRole(role)) throw OrgErrors.invalidRole()
  if (!mayGrant(ctx.role, role)) throw OrgErrors.forbidden()
  const email = normalizeEmail(input.email)
  const now = deps.clock.now()
  const token = randomToken(32)
  return deps.db.transaction().execute(async (trx) => {
    const org = await repo.lockOrg(trx, ctx.orgId)
    if (org === undefined) throw OrgErrors.notFound()
    // The inviter's role as it is now, held (FOR SHARE) until commit, not as the request found it: a
    // demotion or removal racing this invitation either runs first and is seen here, or waits and
    // then revokes the invitation with the inviter's others.
    const inviter = await repo.shareMember(trx, ctx.orgId, ctx.accountId)
    if (inviter === undefined || !isRole(inviter.role)) throw OrgErrors.notFound()
    if (!mayInvite(inviter.role, role)) throw OrgErrors.forbidden()
    const quota = await reserveAttempt(
      { ...deps, db: trx },
      // Per sender and address, from any of the sender's organizations: nobody mail-bombs an
      // address, and one sender's burst never keeps another from inviting it (found by a scan).
      { key: accountKey(`invitation:${ctx.accountId}`, email), limit: INVITATIONS_PER_SENDER_AND_ADDRESS_PER_HOUR, windowSeconds: 3600 },
      now,
    )
    if (!quota.allowed) throw CommonErrors.rateLimited(quota.retryAfterSeconds)
    // A new invitation to the same address replaces the pending one, so only the newest link works.
    await invitationsRepo.revokePendingTo(trx, ctx.orgId, email, now)
    if ((await invitationsRepo.countPending(trx, ctx.orgId, now)) >= MAX_PENDING_INVITATIONS) throw OrgErrors.tooManyInvitations(MAX_PENDING_INVITATIONS)
    const row = await invitationsRepo.insertInvitation(trx, {
      org_id: ctx.orgId,
      email,
      role: input.role,
      token_hash: sha256(token),
      invited_by: ctx.accountId,
      created_at: now,
      expires_at: new Date(now.getTime() + INVITATION_TTL_SECONDS * 1000),
    })
    await enqueueMail(trx, mails.invitation(mailContext(deps.config), email, org.name, input.role, token), now)
    await recordOrgEvent(trx, {
      type: 'member.invited',
      orgId: ctx.orgId,
      actorId: ctx.accountId,
      meta,
      at: now,
      target: { invitationId: row.id },
      details: { role: input.role },
    })
    return { id: row.id, email: row.email, role: row.role, expiresAt: row.expires_at.toISOString() }
  })
}

export async function listInvitations(deps: Deps, orgId: string): Promise<PendingInvitationView[]> {
  const rows = await invitationsRepo.listPending(deps.db, orgId, deps.clock.now(), MAX_PENDING_INVITATIONS)
  const inviters = await accountEmails(
    deps.db,
    rows.flatMap((r) => (r.invited_by === null ? [] : [r.invited_by])),
  )
  return rows.map((r) => {
    const inviterEmail = r.invited_by === null ? undefined : inviters.get(r.invited_by)
    return {
      id: r.id,
      email: r.email,
      role: r.role,
      expiresAt: r.expires_at.toISOString(),
      invitedBy: r.invited_by !== null && inviterEmail !== undefined ? { accountId: r.invited_by, email: inviterEmail } : null,
    }
  })
}

/** Revokes a pending invitation of this organization; 404 for any other id. */
export async function revokeInvitation(deps: Deps, ctx: OrgContext, invitationId: string, meta: OrgMeta): Promise<void> {
  const now = deps.clock.now()
  await deps.db.transaction().execute(async (trx) => {
    const row = await invitationsRepo.revokeOne(trx, ctx.orgId, invitationId, now)
    if (row === undefined) throw OrgErrors.invitationNotFound()
    await recordOrgEvent(trx, { type: 'invitation.revoked', orgId: ctx.orgId, actorId: ctx.accountId, meta, at: now, target: { invitationId } })
  })
}

/**
 * Accepts an invitation for the signed-in account. 400 invalid_token (unknown, used, revoked,
 * expired); 403 email_not_verified / invitation_mismatch (the invitation stays usable); 409
 * already_member.
 */
export async function acceptInvitation(deps: Deps, accountId: string, token: string, meta: OrgMeta): Promise<{ orgId: string; role: string }> {
  const now = deps.clock.now()
  const hash = sha256(token)
  return deps.db.transaction().execute(async (trx) => {
    // Read first, unlocked, to learn what to lock in order: the organization (as a new invitation to
    // the same address does), the inviter's membership (as a demotion or removal does before it
    // revokes the inviter's invitations), then the invitation. Taken the other way round, a demotion
    // and this accept each held what the other waited for.
    const seen = await invitationsRepo.findLiveByHash(trx, hash, now)
    if (seen === undefined) throw OrgErrors.invalidInvitation()
    await repo.lockOrg(trx, seen.org_id)
    // An invitation grants what its inviter may still grant: removed, or demoted below the role it
    // names or out of inviting, the inviter takes it with them (found by a scan: an admin on the
    // way out planted admin access for an address they held). The change that took the right revoked
    // it already (revokeInvitationsBeyondRight); this is the second line. Held until the join.
    const inviter = seen.invited_by === null ? undefined : await repo.shareMember(trx, seen.org_id, seen.invited_by)
    // Re-read under its lock: an invitation revoked while this accept waited is seen as revoked.
    const invitation = await invitationsRepo.lockLiveByHash(trx, hash, now)
    if (invitation === undefined) throw OrgErrors.invalidInvitation()
    // The joining account's row last, held to the end: an account deletion (which takes it after the
    // account's memberships) then either waits and records this membership's end too, or runs first
    // and this accept finds no account (401), never a membership of a deleted account (a 500).
    const account = (await lockAccount(trx, accountId)) === undefined ? undefined : await accountContact(trx, accountId)
    if (account === undefined) throw CommonErrors.unauthenticated()
    if (emailKey(account.email) !== emailKey(invitation.email)) throw OrgErrors.invitationMismatch()
    if (account.email_verified_at === null) throw OrgErrors.emailNotVerified()
    if ((await repo.lockMember(trx, invitation.org_id, accountId)) !== undefined) throw OrgErrors.alreadyMember()
    if (inviter === undefined || invitation.invited_by !== seen.invited_by || !isRole(inviter.role) || !isRole(invitation.role))
      throw OrgErrors.invalidInvitation()
    if (!mayInvite(inviter.role, invitation.role)) throw OrgErrors.invalidInvitation()
    // The limit on organizations an account belongs to holds for joining too (found by a scan).
    if ((await repo.countMemberships(trx, accountId)) >= MAX_MEMBERSHIPS_PER_ACCOUNT) throw OrgErrors.tooManyOrgs(MAX_MEMBERSHIPS_PER_ACCOUNT)
    await repo.insertMembership(trx, { org_id: invitation.org_id, account_id: accountId, role: invitation.role, created_at: now })
    await invitationsRepo.markAccepted(trx, invitation.id, now)
    await recordOrgEvent(trx, {
      type: 'member.joined',
      orgId: invitation.org_id,
      actorId: accountId,
      meta,
      at: now,
      target: { invitationId: invitation.id },
      details: { role: invitation.role },
    })
    return { orgId: invitation.org_id, role: invitation.role }
  })
}

/**
 * Revokes the live invitations `inviterId` sent in the organization that `inviterRole` may no longer
 * send (all of them when undefined: the inviter left, was removed or deleted their account), each
 * recorded as invitation.revoked by `actorId`, reason inviter_lost_right. For the transaction that
 * changed the inviter's membership, after it locked that row. Returns how many it revoked.
 */
export async function revokeInvitationsBeyondRight(
  trx: Trx,
  change: { orgId: string; inviterId: string; inviterRole: Role | undefined; actorId: string; meta: OrgEventMeta; at: Date },
): Promise<number> {
  const { inviterRole } = change
  const stillGrantable = inviterRole === undefined ? [] : ROLE_NAMES.filter((role) => mayInvite(inviterRole, role))
  const revoked = await invitationsRepo.revokeLiveBy(trx, change.orgId, change.inviterId, stillGrantable, change.at)
  for (const invitationId of revoked) {
    await recordOrgEvent(trx, {
      type: 'invitation.revoked',
      orgId: change.orgId,
      actorId: change.actorId,
      meta: change.meta,
      at: change.at,
      target: { invitationId },
      details: { reason: 'inviter_lost_right' },
    })
  }
  return revoked.length
}

/** Housekeeping: forgets invitations (and the addresses they hold) 30 days after they ended. */
export async function deleteStaleInvitations(deps: Pick<Deps, 'db' | 'clock'>): Promise<void> {
  await invitationsRepo.deleteEndedBefore(deps.db, new Date(deps.clock.now().getTime() - 30 * 86_400_000))
}
