// /v1/tokens: create (session only), list (scope tokens:read), revoke (scope tokens:write).
// The secret is in the 201 of creation and nowhere else; replies are serialized through their schemas.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { Deps } from '../deps.js'
import { requestMeta } from '../http/request-meta.js'
import { canonicalId } from '../http/canonical-ids.js'
import { errorReplies } from '../http/schemas.js'
import { requireAuth } from '../principal/principal.js'
import { CreatedTokenReply, CreateTokenBody, TokenIdParams, TokenListReply } from './api-tokens.schemas.js'
import * as tokens from './api-tokens.service.js'

/**
 * Checks, inside the token's transaction, that the account may bind a token to this organization (a
 * member there), and holds the membership until the transaction ends; throws 404 for a stranger's
 * org id. The orgs feature provides it (src/app.ts), so api-tokens never imports orgs.
 */
export type OrgMembershipCheck = tokens.OrgMembershipHold

const TAGS = ['tokens']
const SECURITY: Record<string, string[]>[] = [{ session: [] }, { bearer: [] }]

export const apiTokensRoutes: FastifyPluginAsyncTypebox<{ deps: Deps; assertOrgMember: OrgMembershipCheck }> = async (app, { deps, assertOrgMember }) => {
  app.post(
    '',
    {
      schema: {
        tags: TAGS,
        security: [{ session: [] }],
        description: 'Creates a token. Needs a signed-in session: a token never creates tokens.',
        body: CreateTokenBody,
        response: { 201: CreatedTokenReply, ...errorReplies(400, 401, 403, 404, 415, 422, 429, 503) },
      },
    },
    async (request, reply) => {
      const auth = requireAuth(request, { sessionOnly: true })
      // Binding to an organization needs a membership there, held while the token is made.
      const body = { ...request.body, orgId: canonicalId(request.body.orgId) }
      // requireAuth with sessionOnly gave a session principal: the token is as multi-factor as its sign-in.
      const created = await tokens.createToken(deps, { accountId: auth.accountId, multiFactor: auth.multiFactor }, body, requestMeta(request), assertOrgMember)
      return reply.code(201).send(created)
    },
  )

  app.get(
    '',
    {
      schema: {
        tags: TAGS,
        security: SECURITY,
        description: 'Lists tokens (scope tokens:read); never their secrets.',
        response: { 200: TokenListReply, ...errorReplies(401, 403, 429, 503) },
      },
    },
    async (request) => {
      const auth = requireAuth(request, { scope: 'tokens:read' })
      return { tokens: await tokens.listTokens(deps, auth.accountId) }
    },
  )

  app.delete(
    '/:id',
    {
      schema: {
        tags: TAGS,
        security: SECURITY,
        description: "Revokes a token (scope tokens:write); another account's id answers 404.",
        params: TokenIdParams,
        response: { 204: Type.Null({ description: 'Revoked' }), ...errorReplies(400, 401, 403, 404, 429, 503) },
      },
    },
    async (request, reply) => {
      const auth = requireAuth(request, { scope: 'tokens:write' })
      await tokens.revokeToken(deps, auth.accountId, request.params.id, requestMeta(request))
      return reply.code(204).send(null)
    },
  )
}
