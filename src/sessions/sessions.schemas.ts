import { Type } from 'typebox'
import { Id, StrictObject, Timestamp } from '../http/schemas.js'

export const SessionIdParams = StrictObject({ id: Id })
export const SessionListReply = Type.Object({
  sessions: Type.Array(
    Type.Object({
      id: Type.String(),
      createdAt: Timestamp,
      lastSeenAt: Timestamp,
      ip: Type.Union([Type.String(), Type.Null()]),
      userAgent: Type.Union([Type.String(), Type.Null()]),
      current: Type.Boolean(),
    }),
  ),
})
