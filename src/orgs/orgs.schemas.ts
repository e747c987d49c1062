// Request and response shapes of /v1/orgs, /v1/orgs/:orgId/{members,invitations,audit-events} and
// /v1/invitations/accept.
import { type Static, Type } from 'typebox'
import { Email, Id, StrictObject, Timestamp } from '../http/schemas.js'
import { ROLE_NAMES } from './roles.js'

// No control characters: the name is shown in mail and listings.
// The name is read by strangers, in the invitation mail any member may send to any address: no
// link (`://`), no control character (C0, C1, line and paragraph separators) and no invisible or
// direction-changing one (Unicode format characters: zero-width, bidi overrides), so a name cannot
// pass for the service's own words.
export const OrgName = Type.String({
  minLength: 1,
  maxLength: 100,
  pattern: '^(?!.*://)[^\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029\\p{Cf}]+$',
  description: 'Shown in mail to invited addresses: no link, control or invisible character',
})
export const RoleName = Type.String({ minLength: 1, maxLength: 32, description: `One of ${ROLE_NAMES.join(', ')} (src/orgs/roles.ts)` })
const RoleView = Type.String({ maxLength: 32 })

export const OrgParams = StrictObject({ orgId: Id })
export const MemberParams = StrictObject({ orgId: Id, accountId: Id })
export const InvitationParams = StrictObject({ orgId: Id, id: Id })

export const CreateOrgBody = StrictObject({ name: OrgName })
export const UpdateOrgBody = Type.Object(
  { name: Type.Optional(OrgName), mfaRequired: Type.Optional(Type.Boolean()) },
  { additionalProperties: false, minProperties: 1 },
)

export const CreatedOrgReply = StrictObject({ id: Id, name: OrgName, role: RoleView, createdAt: Timestamp })
export const OrgReply = StrictObject({ id: Id, name: OrgName, role: RoleView, mfaRequired: Type.Boolean(), createdAt: Timestamp })
export const OrgSummary = StrictObject({ id: Id, name: OrgName, role: RoleView })
export const OrgListReply = StrictObject({ orgs: Type.Array(OrgSummary, { maxItems: 100 }) })

export const ChangeRoleBody = StrictObject({ role: RoleName })
export const TransferOwnershipBody = StrictObject({ accountId: Id })
export const MemberView = StrictObject({ accountId: Id, email: Type.String({ maxLength: 254 }), role: RoleView, joinedAt: Timestamp })
export const MemberListReply = StrictObject({ members: Type.Array(MemberView, { maxItems: 1000 }) })

export const InviteBody = StrictObject({ email: Email, role: RoleName })
export const InvitationReply = StrictObject({ id: Id, email: Type.String({ maxLength: 254 }), role: RoleView, expiresAt: Timestamp })
const Person = StrictObject({ accountId: Id, email: Type.String({ maxLength: 254 }) })
export const PendingInvitationView = StrictObject({
  id: Id,
  email: Type.String({ maxLength: 254 }),
  role: RoleView,
  expiresAt: Timestamp,
  invitedBy: Type.Union([Person, Type.Null()]),
})
export const InvitationListReply = StrictObject({ invitations: Type.Array(PendingInvitationView, { maxItems: 100 }) })
export const AcceptInvitationBody = StrictObject({ token: Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_-]+$' }) })
export const AcceptInvitationReply = StrictObject({ orgId: Id, role: RoleView })

export const AuditQuery = StrictObject({
  // Query strings are text (the app never coerces types): digits, checked for range by the route.
  limit: Type.Optional(Type.String({ minLength: 1, maxLength: 3, pattern: '^[1-9][0-9]{0,2}$', description: '1 to 100, default 50' })),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 24, pattern: '^[0-9]+$' })),
})
const Actor = StrictObject({ accountId: Id, email: Type.Union([Type.String({ maxLength: 254 }), Type.Null()]) })
const Target = StrictObject({
  kind: Type.Union([Type.Literal('account'), Type.Literal('invitation'), Type.Literal('project')]),
  id: Id,
  email: Type.Union([Type.String({ maxLength: 254 }), Type.Null()]),
})
export const AuditEventView = StrictObject({
  id: Type.String({ maxLength: 24 }),
  type: Type.String({ maxLength: 64 }),
  at: Timestamp,
  actor: Type.Union([Actor, Type.Null()]),
  ip: Type.Union([Type.String({ maxLength: 64 }), Type.Null()]),
  userAgent: Type.Union([Type.String({ maxLength: 512 }), Type.Null()]),
  target: Type.Union([Target, Type.Null()]),
})
export const AuditEventsReply = StrictObject({
  events: Type.Array(AuditEventView, { maxItems: 100 }),
  nextCursor: Type.Union([Type.String({ maxLength: 24 }), Type.Null()]),
})
export type AuditEventView = Static<typeof AuditEventView>
export type OrgSummary = Static<typeof OrgSummary>
export type OrgView = Static<typeof OrgReply>
export type MemberView = Static<typeof MemberView>
export type InvitationView = Static<typeof InvitationReply>
export type PendingInvitationView = Static<typeof PendingInvitationView>
