// Roles and permissions of an organization: THE file a fork edits to add a permission or a role.
// Code asks for a permission (`can(role, 'projects:write')`), never for a role name; the only other
// thing a role has is its rank, which the rank rules compare (src/orgs/members.service.ts):
// nobody grants, invites to or changes a role above their own, so only the top rank touches it.
// An org-bound API token's scopes use the same names (src/principal/scopes.ts); what a token may do
// is its scopes intersected with its member's role, decided on every request.

export const PERMISSIONS = {
  'org:read': 'See the organization',
  'org:write': 'Rename it, set its policy (mfaRequired)',
  'org:delete': 'Delete it with everything it owns (a signed-in session only)',
  'org:transfer': 'Hand ownership to another member (a signed-in session only)',
  'members:read': 'List members',
  'members:write': 'Change roles, remove members, list, send and revoke invitations',
  'projects:read': 'Read projects',
  'projects:write': 'Create, rename and delete projects',
  'audit:read': "Read and export the organization's audit trail",
} as const

export type Permission = keyof typeof PERMISSIONS

const READ: Permission[] = ['org:read', 'members:read', 'projects:read']

export const ROLES = {
  owner: { rank: 40, permissions: [...READ, 'projects:write', 'members:write', 'org:write', 'audit:read', 'org:delete', 'org:transfer'] },
  admin: { rank: 30, permissions: [...READ, 'projects:write', 'members:write', 'org:write', 'audit:read'] },
  member: { rank: 20, permissions: [...READ, 'projects:write'] },
  viewer: { rank: 10, permissions: READ },
} as const satisfies Record<string, { rank: number; permissions: readonly Permission[] }>

export type Role = keyof typeof ROLES
export const ROLE_NAMES = Object.keys(ROLES) as Role[]
/** The role of whoever creates an organization; the last one of this role can never go. */
export const CREATOR_ROLE: Role = 'owner'

/** The permissions that an org-bound API token may carry as scopes; the rest need a session. */
export const TOKEN_PERMISSIONS = [
  'org:read',
  'org:write',
  'members:read',
  'members:write',
  'projects:read',
  'projects:write',
  'audit:read',
] as const satisfies readonly Permission[]

export function isRole(value: string): value is Role {
  return Object.hasOwn(ROLES, value)
}

export function rankOf(role: Role): number {
  return ROLES[role].rank
}

/** The highest rank: only its holders grant, take or invite it. */
export const TOP_RANK = Math.max(...ROLE_NAMES.map(rankOf))

/** The permissions a role grants, intersected with a token's scopes when the caller is a token. */
export function effectivePermissions(role: string, tokenScopes: readonly string[] | null): ReadonlySet<Permission> {
  if (!isRole(role)) return new Set()
  const granted: readonly Permission[] = ROLES[role].permissions
  return new Set(tokenScopes === null ? granted : granted.filter((p) => tokenScopes.includes(p)))
}

/** May `actor` give `role` (invite to it or set it)? Nobody grants above their own rank. */
export function mayGrant(actor: Role, role: Role): boolean {
  return rankOf(role) <= rankOf(actor)
}

/** May `actor` change or remove a member who holds `target`? Not above one's own rank. */
export function mayManage(actor: Role, target: Role): boolean {
  return rankOf(target) <= rankOf(actor)
}
