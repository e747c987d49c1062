// /v1/orgs (create, list) and /v1/invitations/accept: the routes outside any one organization.
// Creating an organization and accepting an invitation need a signed-in session.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Deps } from '../deps.js'
import { errorReplies } from '../http/schemas.js'
import { requireAuth } from '../principal/principal.js'
import { acceptInvitation } from './invitations.service.js'
import { orgMeta } from './org-scope.js'
import { AcceptInvitationBody, AcceptInvitationReply, CreatedOrgReply, CreateOrgBody, OrgListReply } from './orgs.schemas.js'
import * as orgs from './orgs.service.js'

const tags = ['organizations']

export const orgsRoutes: FastifyPluginAsyncTypebox<{ deps: Deps }> = async (app, { deps }) => {
  app.post(
    '',
    { schema: { tags, security: [{ session: [] }], body: CreateOrgBody, response: { 201: CreatedOrgReply, ...errorReplies(400, 401, 403, 422) } } },
    async (request, reply) => {
      const auth = requireAuth(request, { sessionOnly: true })
      return reply.code(201).send(await orgs.createOrg(deps, auth.accountId, request.body.name, orgMeta(request)))
    },
  )

  app.get(
    '',
    {
      schema: {
        tags,
        security: [{ session: [] }, { bearer: [] }],
        description: "The caller's organizations; a bound token sees its own.",
        response: { 200: OrgListReply, ...errorReplies(401, 403) },
      },
    },
    async (request) => {
      const auth = requireAuth(request, { scope: 'org:read' })
      if (auth.kind === 'token' && (auth.orgId ?? null) === null) return { orgs: [] }
      return { orgs: await orgs.listOrgs(deps, auth.accountId, auth.kind === 'token' ? (auth.orgId ?? null) : null) }
    },
  )
}

export const invitationsAcceptRoutes: FastifyPluginAsyncTypebox<{ deps: Deps }> = async (app, { deps }) => {
  app.post(
    '/accept',
    {
      schema: {
        tags,
        security: [{ session: [] }],
        description: 'A session whose verified email is the invited one; single use; 7 days.',
        body: AcceptInvitationBody,
        response: { 200: AcceptInvitationReply, ...errorReplies(400, 401, 403, 409) },
      },
    },
    async (request) => {
      const auth = requireAuth(request, { sessionOnly: true })
      return acceptInvitation(deps, auth.accountId, request.body.token, orgMeta(request))
    },
  )
}
