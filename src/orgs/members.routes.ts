// /v1/orgs/:orgId/members and /v1/orgs/:orgId/invitations (inside orgScope). Any member lists
// members; changing roles, removing others and invitations need members:write; leaving needs only
// membership and stays open under the mfaRequired policy.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { Deps } from '../deps.js'
import { requireAuth } from '../principal/principal.js'
import { errorReplies } from '../http/schemas.js'
import * as invitations from './invitations.service.js'
import * as members from './members.service.js'
import { orgContext, orgMeta, requirePermission } from './org-scope.js'
import { OrgErrors } from './orgs.errors.js'
import {
  ChangeRoleBody,
  InvitationListReply,
  InvitationParams,
  InvitationReply,
  InviteBody,
  MemberListReply,
  MemberParams,
  MemberView,
  OrgParams,
} from './orgs.schemas.js'

const tags = ['organizations']
const security: Record<string, string[]>[] = [{ session: [] }, { bearer: [] }]

export const membersRoutes: FastifyPluginAsyncTypebox<{ deps: Deps }> = async (app, { deps }) => {
  app.get(
    '/members',
    {
      config: { permission: 'members:read' },
      schema: { tags, security, params: OrgParams, response: { 200: MemberListReply, ...errorReplies(401, 403, 404) } },
    },
    async (request) => {
      return { members: await members.listMembers(deps, orgContext(request).orgId) }
    },
  )

  app.patch(
    '/members/:accountId',
    {
      config: { permission: 'members:write' },
      schema: {
        tags,
        security,
        description: 'Not above your own role; only an owner grants or takes owner; the last owner keeps it (409 last_owner).',
        params: MemberParams,
        body: ChangeRoleBody,
        response: { 200: MemberView, ...errorReplies(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request) => {
      return members.changeRole(deps, orgContext(request), request.params.accountId, request.body.role, orgMeta(request))
    },
  )

  app.delete(
    '/members/:accountId',
    {
      config: { permission: 'members:read', orgMfaExempt: true, sessionOnly: 'own-membership' },
      schema: {
        tags,
        security,
        description: 'Your own id: leave (a session only). Another id: remove (members:write). The last owner cannot go (409 last_owner).',
        params: MemberParams,
        response: { 204: Type.Null(), ...errorReplies(401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const ctx = orgContext(request)
      const leaving = request.params.accountId === ctx.accountId
      // Leaving takes a session, as deleting and transferring the organization do: no scope says
      // "may end its own member's membership" (found by a scan: a members:read token did it).
      if (leaving) requireAuth(request, { sessionOnly: true })
      // Only leaving is open to a member the organization's mfaRequired policy turns away.
      if (!leaving && request.orgMfaMissing) throw OrgErrors.mfaRequired()
      if (!leaving) requirePermission(request, 'members:write')
      await members.removeMember(deps, ctx, request.params.accountId, orgMeta(request))
      return reply.code(204).send(null)
    },
  )

  app.post(
    '/invitations',
    {
      config: { permission: 'members:write' },
      schema: {
        tags,
        security,
        description: 'Mails a single-use link valid 7 days. Not above your own role.',
        params: OrgParams,
        body: InviteBody,
        response: { 201: InvitationReply, ...errorReplies(400, 401, 403, 404, 422) },
      },
    },
    async (request, reply) => {
      return reply.code(201).send(await invitations.invite(deps, orgContext(request), request.body, orgMeta(request)))
    },
  )

  app.get(
    '/invitations',
    {
      config: { permission: 'members:write' },
      schema: { tags, security, params: OrgParams, response: { 200: InvitationListReply, ...errorReplies(401, 403, 404) } },
    },
    async (request) => {
      return { invitations: await invitations.listInvitations(deps, orgContext(request).orgId) }
    },
  )

  app.delete(
    '/invitations/:id',
    {
      config: { permission: 'members:write' },
      schema: { tags, security, params: InvitationParams, response: { 204: Type.Null(), ...errorReplies(400, 401, 403, 404) } },
    },
    async (request, reply) => {
      await invitations.revokeInvitation(deps, orgContext(request), request.params.id, orgMeta(request))
      return reply.code(204).send(null)
    },
  )
}
