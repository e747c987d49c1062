// Invitations into an organization. Invariants:
// - the token is 32 CSPRNG bytes, mailed once through the outbox (in the inviting transaction) in the
//   link's fragment; only its SHA-256 is stored; it works once and for 7 days;
// - it is accepted only by a signed-in account whose *verified* address is the invited one; any other
//   attempt changes nothing, so the invitation stays usable for the right account;
// - nobody invites to a role above their own; inviting an address that already has a membership
//   answers exactly like any other invitation (no enumeration of accounts or members).
import { accountContact, accountEmails } from '../accounts/accounts.service.js'
import { sha256 } from '../crypto/hash.js'
import { randomToken } from '../crypto/random.js'
import type { Deps } from '../deps.js'
import { CommonErrors } from '../errors.js'
import { emailKey, normalizeEmail } from '../mail/address.js'
import { enqueueMail } from '../mail/outbox.js'
import { mailContext, mails } from '../mail/templates.js'
import { accountKey, reserveAttempt } from '../throttle/throttle.service.js'
import * as invitationsRepo from './invitations.repo.js'
import { recordOrgEvent } from './org-events.js'
import { OrgErrors } from './orgs.errors.js'
import * as repo from './orgs.repo.js'
import { MAX_MEMBERSHIPS_PER_ACCOUNT } from './orgs.service.js'
import type { OrgContext, OrgMeta } from './orgs.types.js'
import { effectivePermissions, isRole, mayGrant } from './roles.js'
import type { InvitationView, PendingInvitationView } from './orgs.schemas.js'

export const INVITATION_TTL_SECONDS = 7 * 24 * 60 * 60
/** Pending invitations per organization: bounds the mail one admin can make the server send. */
export const MAX_PENDING_INVITATIONS = 100
/** Invitation mails one address may receive per hour, from all organizations together (mail bombing). */
export const INVITATIONS_PER_SENDER_AND_ADDRESS_PER_HOUR = 10

export type { InvitationView, PendingInvitationView }

/** Invites `email` as `role`. 403 forbidden above the inviter's rank; 422 invalid_role / invitation_limit_reached. */
export async function invite(deps: Deps, ctx: OrgContext, input: { email: string; role: string }, meta: OrgMeta): Promise<InvitationView> {
  if (!isRole(input.role)) throw OrgErrors.invalidRole()
  if (!mayGrant(ctx.role, input.role)) throw OrgErrors.forbidden()
  const email = normalizeEmail(input.email)
  const now = deps.clock.now()
  const token = randomToken(32)
  return deps.db.transaction().execute(async (trx) => {
    const org = await repo.lockOrg(trx, ctx.orgId)
    if (org === undefined) throw OrgErrors.notFound()
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
  return deps.db.transaction().execute(async (trx) => {
    const invitation = await invitationsRepo.lockLiveByHash(trx, sha256(token), now)
    if (invitation === undefined) throw OrgErrors.invalidInvitation()
    const account = await accountContact(trx, accountId)
    if (account === undefined) throw CommonErrors.unauthenticated()
    if (emailKey(account.email) !== emailKey(invitation.email)) throw OrgErrors.invitationMismatch()
    if (account.email_verified_at === null) throw OrgErrors.emailNotVerified()
    if ((await repo.lockMember(trx, invitation.org_id, accountId)) !== undefined) throw OrgErrors.alreadyMember()
    // An invitation grants what its inviter may still grant: removed, or demoted below the role it
    // names or out of inviting, the inviter takes it with them (found by a scan: an admin on the
    // way out planted admin access for an address they held). Their row is held until the join.
    const inviter = invitation.invited_by === null ? undefined : await repo.shareMember(trx, invitation.org_id, invitation.invited_by)
    if (inviter === undefined || !isRole(inviter.role) || !isRole(invitation.role)) throw OrgErrors.invalidInvitation()
    if (!effectivePermissions(inviter.role, null).has('members:write') || !mayGrant(inviter.role, invitation.role)) throw OrgErrors.invalidInvitation()
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

/** Housekeeping: forgets invitations (and the addresses they hold) 30 days after they ended. */
export async function deleteStaleInvitations(deps: Pick<Deps, 'db' | 'clock'>): Promise<void> {
  await invitationsRepo.deleteEndedBefore(deps.db, new Date(deps.clock.now().getTime() - 30 * 86_400_000))
}
