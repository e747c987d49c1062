// /v1/orgs/:orgId (inside orgScope): the organization itself, ownership transfer, and its audit
// trail (paged JSON, or the whole trail streamed as NDJSON for export).
import { Readable } from 'node:stream'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { Deps } from '../deps.js'
import { canonicalId } from '../http/canonical-ids.js'
import { errorReplies } from '../http/schemas.js'
import { ReauthBody } from '../mfa/mfa.schemas.js'
import { reauthenticate } from '../mfa/mfa.service.js'
import { requireAuth } from '../principal/principal.js'
import { transferOwnership } from './members.service.js'
import { exportOrgAudit, listOrgAudit } from './org-audit.service.js'
import { orgContext, orgMeta } from './org-scope.js'
import { AuditEventsReply, AuditQuery, OrgParams, OrgReply, TransferOwnershipBody, UpdateOrgBody } from './orgs.schemas.js'
import * as orgs from './orgs.service.js'

const tags = ['organizations']
const security: Record<string, string[]>[] = [{ session: [] }, { bearer: [] }]

export const orgRoutes: FastifyPluginAsyncTypebox<{ deps: Deps }> = async (app, { deps }) => {
  app.get(
    '',
    { config: { permission: 'org:read' }, schema: { tags, security, params: OrgParams, response: { 200: OrgReply, ...errorReplies(401, 403, 404) } } },
    async (request) => {
      return orgs.viewOf(orgContext(request))
    },
  )

  app.patch(
    '',
    {
      config: { permission: 'org:write' },
      schema: {
        tags,
        security,
        description: 'Admin or owner. Turning mfaRequired on needs a multi-factor sign-in (TOTP or a passkey).',
        params: OrgParams,
        body: UpdateOrgBody,
        response: { 200: OrgReply, ...errorReplies(400, 401, 403, 404) },
      },
    },
    async (request) => {
      return orgs.updateOrg(deps, orgContext(request), request.body, orgMeta(request))
    },
  )

  app.delete(
    '',
    {
      config: { permission: 'org:delete', sessionOnly: true },
      schema: {
        tags,
        security: [{ session: [] }],
        description: 'Owner only, with full re-authentication (the password, and a code when TOTP is on): deletes everything the organization owns.',
        params: OrgParams,
        body: ReauthBody,
        response: { 204: Type.Null(), ...errorReplies(400, 401, 403, 404, 429) },
      },
    },
    async (request, reply) => {
      const auth = requireAuth(request, { sessionOnly: true })
      await reauthenticate(deps, auth.accountId, request.body, orgMeta(request))
      await orgs.deleteOrg(deps, orgContext(request), orgMeta(request))
      return reply.code(204).send(null)
    },
  )

  app.post(
    '/ownership',
    {
      config: { permission: 'org:transfer', sessionOnly: true },
      schema: {
        tags,
        security: [{ session: [] }],
        description: 'Owner only: the member becomes owner and the caller admin, atomically.',
        params: OrgParams,
        body: TransferOwnershipBody,
        response: { 204: Type.Null(), ...errorReplies(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      requireAuth(request, { sessionOnly: true })
      await transferOwnership(deps, orgContext(request), canonicalId(request.body.accountId), orgMeta(request))
      return reply.code(204).send(null)
    },
  )

  app.get(
    '/audit-events',
    {
      config: { permission: 'audit:read' },
      schema: {
        tags,
        security,
        description:
          'Admin or owner. Newest first, paged by cursor; with `Accept: application/x-ndjson`, every event oldest first with its chain data (verify with npm run audit:verify-export).',
        params: OrgParams,
        querystring: AuditQuery,
        response: { 200: AuditEventsReply, ...errorReplies(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const ctx = orgContext(request)
      // Media types compare without regard to case (RFC 9110 §8.3.1).
      if ((request.headers.accept ?? '').toLowerCase().includes('application/x-ndjson')) {
        // A stream bypasses the JSON serializer; the reply type only describes the JSON answer.
        return reply.type('application/x-ndjson; charset=utf-8').send(Readable.from(exportOrgAudit(deps, ctx.orgId)) as never)
      }
      return listOrgAudit(deps, ctx.orgId, Number(request.query.limit ?? '50'), request.query.cursor)
    },
  )
}
