import { Type } from 'typebox'
import { StrictObject, Timestamp } from '../http/schemas.js'

export const AccountReply = Type.Object({
  id: Type.String(),
  email: Type.String(),
  emailVerified: Type.Boolean(),
  mfaEnabled: Type.Boolean(),
  createdAt: Timestamp,
})

const Password = Type.String({ minLength: 1, maxLength: 4096 })
export const DeleteAccountBody = StrictObject({ password: Password })

export const SecurityEventsReply = Type.Object({
  events: Type.Array(
    Type.Object({
      type: Type.String(),
      at: Timestamp,
      ip: Type.Union([Type.String(), Type.Null()]),
      userAgent: Type.Union([Type.String(), Type.Null()]),
    }),
  ),
})
