// The registry of API-token scopes. A route names the scope it needs; a session holds every scope,
// a token only those it was given. Some actions need a session whatever the scopes (see
// requireAuth's `sessionOnly`): creating tokens, changing the password, deleting the account, MFA.
export const SCOPES = {
  'account:read': 'Read the account profile (GET /v1/me)',
  'security-events:read': "Read the account's security events",
  'sessions:read': 'List sessions',
  'sessions:write': 'End sessions',
  'tokens:read': 'List API tokens (never their secrets)',
  'tokens:write': 'Revoke API tokens',
} as const

export type Scope = keyof typeof SCOPES
export const SCOPE_NAMES = Object.keys(SCOPES) as Scope[]

export function isScope(value: string): value is Scope {
  return Object.hasOwn(SCOPES, value)
}
