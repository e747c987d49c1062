// Shared TypeBox building blocks. Every object refuses unknown fields (additionalProperties:false)
// and every string and array is bounded, so a request cannot smuggle or balloon anything.
import { type TProperties, Type } from 'typebox'

/** An object schema that refuses properties it does not name. */
export function StrictObject<T extends TProperties>(properties: T, options: { description?: string } = {}) {
  return Type.Object(properties, { additionalProperties: false, ...options })
}

export const ErrorReply = Type.Object(
  {
    error: Type.String({ description: 'Stable machine-readable code' }),
    message: Type.String({ description: 'Human-readable text; do not match on it' }),
    fields: Type.Optional(Type.Array(Type.Object({ field: Type.String(), rule: Type.String() }))),
    reasons: Type.Optional(Type.Array(Type.String())),
  },
)

export const Id = Type.String({ format: 'uuid', maxLength: 36 })
export const Timestamp = Type.String({ format: 'date-time' })
export const Email = Type.String({ minLength: 3, maxLength: 254, format: 'email' })

/** OpenAPI `security` of a route that takes only the session cookie (an API token is refused). */
export const SESSION_ONLY: Record<string, string[]>[] = [{ session: [] }]
/** OpenAPI `security` of a route that takes the session cookie or an API token with the right scope. */
export const SESSION_OR_TOKEN: Record<string, string[]>[] = [{ session: [] }, { bearer: [] }]

/** Standard error answers a route may give, for the OpenAPI document. */
export function errorReplies(...statuses: number[]): Record<number, typeof ErrorReply> {
  return Object.fromEntries(statuses.map((status) => [status, ErrorReply]))
}
