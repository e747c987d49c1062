// Request and response shapes of /v1/tokens. The secret appears in one schema only, the 201 of
// creation; TokenView has no field that could carry it or its hash.
import { type Static, Type } from 'typebox'
import { DisplayName, Id, StrictObject, Timestamp } from '../http/schemas.js'
import { SCOPE_NAMES } from '../principal/scopes.js'

export const TOKEN_NAME_MAX_CHARS = 100
/** The upper bound of any configuration (API_TOKEN_MAX_DAYS); the configured maximum is checked by the service. */
const EXPIRES_IN_DAYS_CEILING = 3650

export const Scope = Type.Enum(SCOPE_NAMES, { description: 'A scope from the registry (src/principal/scopes.ts)' })
export const Scopes = Type.Array(Scope, { minItems: 1, maxItems: SCOPE_NAMES.length, uniqueItems: true })

export const CreateTokenBody = StrictObject({
  // Quoted in the mail to the owner ("a token was created") and shown in listings.
  name: DisplayName(TOKEN_NAME_MAX_CHARS),
  scopes: Scopes,
  expiresInDays: Type.Optional(Type.Integer({ minimum: 1, maximum: EXPIRES_IN_DAYS_CEILING, description: 'Default and maximum come from config' })),
  orgId: Type.Optional(Type.String({ format: 'uuid', maxLength: 36, description: 'Bind the token to this organization (org scopes need it)' })),
})
export type CreateTokenBody = Static<typeof CreateTokenBody>

export const TokenView = StrictObject({
  id: Id,
  name: Type.String({ maxLength: TOKEN_NAME_MAX_CHARS }),
  scopes: Type.Array(Type.String({ maxLength: 64 }), { maxItems: SCOPE_NAMES.length }),
  createdAt: Timestamp,
  expiresAt: Timestamp,
  lastUsedAt: Type.Union([Timestamp, Type.Null()]),
  orgId: Type.Optional(Id),
})
export type TokenView = Static<typeof TokenView>

export const CreatedTokenReply = StrictObject({
  id: Id,
  name: Type.String({ maxLength: TOKEN_NAME_MAX_CHARS }),
  scopes: Type.Array(Type.String({ maxLength: 64 }), { maxItems: SCOPE_NAMES.length }),
  token: Type.String({ maxLength: 64, description: 'Shown this once; only its HMAC is stored' }),
  createdAt: Timestamp,
  expiresAt: Timestamp,
  orgId: Type.Optional(Id),
})
export type CreatedTokenReply = Static<typeof CreatedTokenReply>

export const TokenListReply = StrictObject({ tokens: Type.Array(TokenView, { maxItems: 100 }) })

export const TokenIdParams = StrictObject({ id: Id })
