// What a route under /v1/orgs/:orgId knows about its caller once src/orgs/org-scope.ts resolved the
// membership (once per request), and the request facts every organization event records.
import type { RequestMeta } from '../audit/audit.service.js'
import type { Permission, Role } from './roles.js'

export interface OrgContext {
  readonly orgId: string
  readonly accountId: string
  readonly role: Role
  /** The role's permissions, intersected with the token's scopes when the caller is an API token. */
  readonly permissions: ReadonlySet<Permission>
  /** The caller is an API token (bound to this organization). */
  readonly viaToken: boolean
  readonly orgName: string
  readonly mfaRequired: boolean
  /** The caller's sign-in used two factors (a token: the sign-in that made it; decision 0101). */
  readonly multiFactor: boolean
  readonly createdAt: Date
}

/** Request facts for the organization's audit trail: ip, user agent and the request id. */
export interface OrgMeta extends RequestMeta {
  readonly requestId: string
}
