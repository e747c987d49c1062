import { describe, expect, it } from 'vitest'
import { isOrgScope, isScope } from '../principal/scopes.js'
import { effectivePermissions, mayGrant, mayManage, PERMISSIONS, ROLE_NAMES, ROLES, TOKEN_PERMISSIONS, TOP_RANK } from './roles.js'

describe('roles and permissions (src/orgs/roles.ts)', () => {
  it('gives each role only known permissions, and each rank to one role', () => {
    for (const role of ROLE_NAMES) for (const p of ROLES[role].permissions) expect(Object.keys(PERMISSIONS)).toContain(p)
    expect(new Set(ROLE_NAMES.map((r) => ROLES[r].rank)).size).toBe(ROLE_NAMES.length)
    expect(ROLES.owner.rank).toBe(TOP_RANK)
  })

  it('keeps the token-grantable permissions and the org scopes of the registry the same set', () => {
    for (const p of TOKEN_PERMISSIONS) expect(isScope(p) && isOrgScope(p)).toBe(true)
    for (const p of Object.keys(PERMISSIONS)) expect(isOrgScope(p)).toBe((TOKEN_PERMISSIONS as readonly string[]).includes(p))
  })

  it('intersects the scopes of a token with the role, and grants nothing to an unknown role', () => {
    expect([...effectivePermissions('viewer', ['projects:write', 'projects:read'])]).toEqual(['projects:read'])
    expect(effectivePermissions('member', null).has('projects:write')).toBe(true)
    expect(effectivePermissions('owner', ['org:read']).has('org:delete')).toBe(false)
    expect(effectivePermissions('superuser', null).size).toBe(0)
  })

  it('lets nobody grant or manage above their own rank', () => {
    expect(mayGrant('admin', 'owner')).toBe(false)
    expect(mayGrant('admin', 'admin')).toBe(true)
    expect(mayGrant('owner', 'owner')).toBe(true)
    expect(mayManage('admin', 'owner')).toBe(false)
    expect(mayManage('member', 'viewer')).toBe(true)
  })
})
