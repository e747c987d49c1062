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
  // Organization scopes: only on a token bound to one organization (POST /v1/tokens with orgId);
  // what they allow is also limited by the member's role there (src/orgs/roles.ts).
  'org:read': 'See the organization the token is bound to',
  'org:write': 'Rename it and set its policy',
  'members:read': 'List its members',
  'members:write': 'Change roles, remove members, manage invitations',
  'projects:read': 'Read its projects',
  'projects:write': 'Create, rename and delete its projects',
  'audit:read': 'Read and export its audit trail',
} as const

export type Scope = keyof typeof SCOPES
export const SCOPE_NAMES = Object.keys(SCOPES) as Scope[]

export function isScope(value: string): value is Scope {
  return Object.hasOwn(SCOPES, value)
}

const ORG_SCOPES: ReadonlySet<string> = new Set(['org:read', 'org:write', 'members:read', 'members:write', 'projects:read', 'projects:write', 'audit:read'])

/** A scope that only means something on a token bound to an organization. */
export function isOrgScope(value: string): boolean {
  return ORG_SCOPES.has(value)
}
