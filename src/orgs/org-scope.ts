// Route-level tenant isolation: every route under /v1/orgs/:orgId is registered inside orgScope,
// whose one hook resolves the caller's membership once, before the body is even validated:
// - a malformed id, an unknown organization and a non-member all answer 404 not_found (never 403,
//   which would tell that the organization exists); so does a token bound to another organization;
// - each route declares the permission it needs (`config: { permission }`); a route without one is
//   refused (fail closed), and a member whose role (intersected with a token's scopes) lacks it gets
//   403 forbidden;
// - a route marked `sessionOnly` refuses an API token with 403 session_required before judging
//   the permission, whatever the token's scopes;
// - the organization's mfaRequired policy turns away members without a second factor (403
//   mfa_required), except on routes marked `orgMfaExempt` (leaving).
// Membership is read from the database on every request, so a removal or demotion takes effect on
// the next request on every instance.
import type { FastifyContextConfig, FastifyPluginAsync, FastifyRequest } from 'fastify'
import type { Deps } from '../deps.js'
import { isUuid } from '../crypto/random.js'
import { CommonErrors } from '../errors.js'
import { requestMeta } from '../http/request-meta.js'
import { PrincipalErrors } from '../principal/principal.js'
import { resolveMembership } from './orgs.service.js'
import { OrgErrors } from './orgs.errors.js'
import type { OrgContext, OrgMeta } from './orgs.types.js'
import { effectivePermissions, isRole, type Permission } from './roles.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The organization permission a route under /v1/orgs/:orgId needs (src/orgs/roles.ts). */
    permission?: Permission
    /** Open to members without a second factor under the mfaRequired policy (leaving only). */
    orgMfaExempt?: boolean
    /**
     * Refused to an API token with 403 session_required before its permission is judged, so the
     * answer says why whatever its scopes: `true` always, `'own-membership'` when the route's
     * `:accountId` is the caller's (leaving).
     */
    sessionOnly?: true | 'own-membership'
  }
  interface FastifyRequest {
    /** Filled by orgScope for routes under /v1/orgs/:orgId; use orgContext(request). */
    org: OrgContext | null
    /** The member has no second factor while the organization requires one. */
    orgMfaMissing: boolean
  }
}

/** The resolved organization context; throws when a route outside orgScope asks for it. */
export function orgContext(request: FastifyRequest): OrgContext {
  if (request.org === null) throw new Error('orgContext() outside orgScope')
  return request.org
}

/** Throws 403 forbidden unless the caller holds `permission` in this organization. */
export function requirePermission(request: FastifyRequest, permission: Permission): OrgContext {
  const ctx = orgContext(request)
  if (!ctx.permissions.has(permission)) throw OrgErrors.forbidden()
  return ctx
}

export function orgMeta(request: FastifyRequest): OrgMeta {
  return { ...requestMeta(request), requestId: request.id }
}

export interface OrgScopeOptions {
  deps: Deps
  /** The route plugins that live under /v1/orgs/:orgId, each with an optional sub-prefix. */
  routes: readonly { plugin: FastifyPluginAsync<{ deps: Deps }>; prefix?: string }[]
}

function sessionOnlyHere(rule: FastifyContextConfig['sessionOnly'], request: FastifyRequest, accountId: string): boolean {
  return rule === true || (rule === 'own-membership' && (request.params as { accountId?: unknown }).accountId === accountId)
}

export const orgScope: FastifyPluginAsync<OrgScopeOptions> = async (scope, { deps, routes }) => {
  scope.decorateRequest('org', null)
  scope.decorateRequest('orgMfaMissing', false)
  scope.addHook('preValidation', async (request) => {
    const principal = request.principal
    if (principal === null) throw CommonErrors.unauthenticated()
    if (principal.kind === 'session' && principal.mfaEnrolmentRequired === true) throw PrincipalErrors.mfaEnrolmentRequired()
    // In lower case already (src/http/canonical-ids.ts), as the database gives it back.
    const { orgId } = request.params as { orgId?: unknown }
    if (typeof orgId !== 'string' || !isUuid(orgId)) throw OrgErrors.notFound()
    // A token reaches only the organization it is bound to; an unbound token reaches none.
    if (principal.kind === 'token' && principal.orgId !== orgId) throw OrgErrors.notFound()
    const membership = await resolveMembership(deps, orgId, principal.accountId)
    if (membership === undefined || !isRole(membership.role)) throw OrgErrors.notFound()
    const config = request.routeOptions.config
    if (principal.kind === 'token' && sessionOnlyHere(config.sessionOnly, request, principal.accountId)) throw PrincipalErrors.sessionRequired()
    const permissions = effectivePermissions(membership.role, principal.kind === 'token' ? principal.scopes : null)
    if (config.permission === undefined) throw OrgErrors.forbidden()
    if (!permissions.has(config.permission)) throw OrgErrors.forbidden()
    // Whether this sign-in used two factors (a token: the sign-in that made it), not whether the
    // account has a second factor: a passkey account can still sign in with its password alone
    // (decision 0101). Read by the principal's own statement.
    if (membership.mfa_required && !principal.multiFactor) {
      if (config.orgMfaExempt !== true) throw OrgErrors.mfaRequired()
      request.orgMfaMissing = true
    }
    request.org = {
      orgId,
      accountId: principal.accountId,
      role: membership.role,
      permissions,
      viaToken: principal.kind === 'token',
      orgName: membership.name,
      mfaRequired: membership.mfa_required,
      multiFactor: principal.multiFactor,
      createdAt: membership.created_at,
    }
  })
  for (const route of routes) await scope.register(route.plugin, { deps, ...(route.prefix !== undefined ? { prefix: route.prefix } : {}) })
}
