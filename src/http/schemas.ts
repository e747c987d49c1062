// Shared TypeBox building blocks. Every object refuses unknown fields (additionalProperties:false)
// and every string and array is bounded, so a request cannot smuggle or balloon anything.
import { type TProperties, Type } from 'typebox'

/** An object schema that refuses properties it does not name. */
export function StrictObject<T extends TProperties>(properties: T, options: { description?: string } = {}) {
  return Type.Object(properties, { additionalProperties: false, ...options })
}

export const ErrorReply = StrictObject({
  error: Type.String({ maxLength: 64, description: 'Stable machine-readable code' }),
  message: Type.String({ maxLength: 512, description: 'Human-readable text; do not match on it' }),
  // At most ten fields are named (src/http/error-handler.ts).
  fields: Type.Optional(Type.Array(StrictObject({ field: Type.String({ maxLength: 256 }), rule: Type.String({ maxLength: 64 }) }), { maxItems: 10 })),
  reasons: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 16 })),
})

export const Id = Type.String({ format: 'uuid', maxLength: 36 })
export const Timestamp = Type.String({ format: 'date-time', maxLength: 32 })
export const Email = Type.String({ minLength: 3, maxLength: 254, format: 'email' })
/** An address in a reply (already validated when it was stored). */
export const EmailView = Type.String({ maxLength: 254 })

/**
 * One character of a name people read (organization, project, API token), in listings, the audit
 * trail and mail: no control character (C0, C1, line and paragraph separators), no invisible or
 * direction-changing one (Unicode format characters: zero-width, joiners, bidi overrides, BOM), so
 * a name cannot hide or reorder text around it, and no lone surrogate: a string that is not
 * well-formed UTF-16 would be stored as U+FFFD by the driver's UTF-8 encoding, not refused.
 * Ajv compiles patterns with the `u` flag, where a surrogate pair is one code point and only a
 * lone half is `\p{Cs}`.
 */
const NAME_CHAR = '[^\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029\\p{Cf}\\p{Cs}]'

/**
 * A name people read: 1 to `maxLength` code points, each a NAME_CHAR, not all of them spaces.
 * `refuse`, when given, is a regular expression that no part of the name may match (a feature's
 * own rule on top).
 */
export function DisplayName(maxLength: number, options: { refuse?: string; description?: string } = {}) {
  // At least one character that is not a space: a blank name reads as none in a list or a mail.
  const guard = `(?=.*\\S)${options.refuse === undefined ? '' : `(?!.*(?:${options.refuse}))`}`
  const description = options.description ?? 'No control, invisible or direction-changing character'
  return Type.String({ minLength: 1, maxLength, pattern: `^${guard}${NAME_CHAR}+$`, description })
}

/**
 * Every password a route takes: a new one (register, reset, change) or the current one (login,
 * verify-email, re-authentication, deletions). Bounded far above the policy maximum
 * (PASSWORD_MAX_LENGTH, at most 1024 code points): the policy decides what a new password may be
 * (422 weak_password), this bound only caps the work before anything hashes it.
 */
export const Password = Type.String({ minLength: 1, maxLength: 4096, description: 'The account password' })

/** OpenAPI `security` of a route that takes only the session cookie (an API token is refused). */
export const SESSION_ONLY: Record<string, string[]>[] = [{ session: [] }]
/** OpenAPI `security` of a route that takes the session cookie or an API token with the right scope. */
export const SESSION_OR_TOKEN: Record<string, string[]>[] = [{ session: [] }, { bearer: [] }]

/** Standard error answers a route may give, for the OpenAPI document. */
export function errorReplies(...statuses: number[]): Record<number, typeof ErrorReply> {
  return Object.fromEntries(statuses.map((status) => [status, ErrorReply]))
}
