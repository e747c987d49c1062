import { type Static, Type } from 'typebox'
import { Id, StrictObject, Timestamp } from '../http/schemas.js'

export const SessionIdParams = StrictObject({ id: Id })
export const SessionView = StrictObject({
  id: Id,
  createdAt: Timestamp,
  lastSeenAt: Timestamp,
  ip: Type.Union([Type.String({ maxLength: 64 }), Type.Null()]),
  // Cut to 512 characters when recorded (src/http/request-meta.ts).
  userAgent: Type.Union([Type.String({ maxLength: 512 }), Type.Null()]),
  current: Type.Boolean(),
})
export type SessionView = Static<typeof SessionView>
// Not capped: every live session of the account is listed (the query has no limit).
export const SessionListReply = StrictObject({ sessions: Type.Array(SessionView) })
