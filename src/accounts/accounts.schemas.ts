import { type Static, Type } from 'typebox'
import { EmailView, Id, StrictObject, Timestamp } from '../http/schemas.js'

/** The `user` of /v1/me and of a login answer. */
export const AccountReply = StrictObject({
  id: Id,
  email: EmailView,
  emailVerified: Type.Boolean(),
  mfaEnabled: Type.Boolean(),
  createdAt: Timestamp,
})
export type AccountReply = Static<typeof AccountReply>

export const SecurityEventView = StrictObject({
  type: Type.String({ maxLength: 64 }),
  at: Timestamp,
  ip: Type.Union([Type.String({ maxLength: 64 }), Type.Null()]),
  // Cut to 512 characters when recorded (src/http/request-meta.ts).
  userAgent: Type.Union([Type.String({ maxLength: 512 }), Type.Null()]),
})
export type SecurityEventView = Static<typeof SecurityEventView>

// The newest 100 (src/audit/audit.service.ts listEvents).
export const SecurityEventsReply = StrictObject({ events: Type.Array(SecurityEventView, { maxItems: 100 }) })
