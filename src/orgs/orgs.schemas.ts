// Request and response shapes of /v1/orgs, /v1/orgs/:orgId/{members,invitations,audit-events} and
// /v1/invitations/accept.
import { type Static, Type } from 'typebox'
import { DisplayName, Email, Id, StrictObject, Timestamp } from '../http/schemas.js'
import { ROLE_NAMES } from './roles.js'

// The name is read by strangers, in the invitation mail any member may send to any address: on top
// of the rule of every shown name (DisplayName: no control, invisible or direction-changing
// character, no lone surrogate), no link that a mail client would make clickable: no "//" (so no
// scheme, whatever the colon looks like) and no "www." in any case. Compared after NFKC: each
// class below holds every character NFKC folds to that one (full-width "／", "ｗ", "．", …);
// src/orgs/orgs.schemas.test.ts checks them against every code point. A bare domain is allowed
// ("Example.com Ltd" is a business name); a mail client may still link it.
const codePoints = (list: number[]): string => `[${list.map((cp) => (cp < 0x80 ? String.fromCharCode(cp) : `\\u{${cp.toString(16)}}`)).join('')}]`
const SLASH = codePoints([0x2f, 0xff0f])
const DOT = codePoints([0x2e, 0x2024, 0xfe52, 0xff0e])
const W = codePoints([
  ...[0x57, 0x77, 0x2b7, 0x1d42, 0x24cc, 0x24e6, 0xff37, 0xff57, 0x1ccec, 0x1f146],
  // Mathematical Alphanumeric Symbols: a W and a w in each of 13 styles, 26 code points apart.
  ...Array.from({ length: 26 }, (_, i) => 0x1d416 + 26 * i),
])
export const OrgName = DisplayName(100, {
  refuse: `${SLASH}{2}|${W}{3}${DOT}`,
  description: 'Shown in mail to invited addresses: no link ("//", "www."), control or invisible character',
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
  limit: Type.Optional(Type.String({ minLength: 1, maxLength: 3, pattern: '^(?:100|[1-9][0-9]?)$', description: '1 to 100, default 50' })),
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
