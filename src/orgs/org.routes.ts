// /v1/orgs/:orgId (inside orgScope): the organization itself, ownership transfer, and its audit
// trail (paged JSON, or the whole trail streamed as NDJSON for export).
import { Readable } from 'node:stream'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { AccountErrors, verifyAccountPassword } from '../accounts/accounts.service.js'
import { EXPORT_FORMAT, exportOrgEvents, listOrgEvents } from '../audit/audit-org.js'
import type { Deps } from '../deps.js'
import { errorReplies } from '../http/schemas.js'
import { hasConfirmedTotp } from '../mfa/mfa.service.js'
import { requireAuth } from '../principal/principal.js'
import { transferOwnership } from './members.service.js'
import { orgContext, orgMeta } from './org-scope.js'
import { AuditEventsReply, type AuditEventView, AuditQuery, DeleteOrgBody, OrgParams, OrgReply, TransferOwnershipBody, UpdateOrgBody } from './orgs.schemas.js'
import * as orgs from './orgs.service.js'

const tags = ['organizations']
const security: Record<string, string[]>[] = [{ session: [] }, { bearer: [] }]

function eventView(row: Awaited<ReturnType<typeof listOrgEvents>>[number]): AuditEventView {
  const target =
    row.target_account_id !== null
      ? { kind: 'account' as const, id: row.target_account_id, email: row.target_email }
      : row.target_invitation_id !== null
        ? { kind: 'invitation' as const, id: row.target_invitation_id, email: null }
        : row.target_project_id !== null
          ? { kind: 'project' as const, id: row.target_project_id, email: null }
          : null
  return {
    id: String(row.id),
    type: row.type,
    at: row.occurred_at.toISOString(),
    actor: row.account_id !== null ? { accountId: row.account_id, email: row.actor_email } : null,
    ip: row.ip,
    userAgent: row.user_agent,
    target,
  }
}

export const orgRoutes: FastifyPluginAsyncTypebox<{ deps: Deps }> = async (app, { deps }) => {
  app.get('/', { config: { permission: 'org:read' }, schema: { tags, security, params: OrgParams, response: { 200: OrgReply, ...errorReplies(401, 403, 404) } } }, async (request) => {
    return orgs.viewOf(orgContext(request))
  })

  app.patch(
    '/',
    { config: { permission: 'org:write' }, schema: { tags, security, description: 'Admin or owner. Turning mfaRequired on needs a second factor.', params: OrgParams, body: UpdateOrgBody, response: { 200: OrgReply, ...errorReplies(400, 401, 403, 404) } } },
    async (request) => {
      const ctx = orgContext(request)
      const hasSecondFactor = request.body.mfaRequired === true && (await hasConfirmedTotp(deps.db, ctx.accountId))
      return orgs.updateOrg(deps, ctx, request.body, hasSecondFactor, orgMeta(request))
    },
  )

  app.delete(
    '/',
    { config: { permission: 'org:delete' }, schema: { tags, security: [{ session: [] }], description: 'Owner only, with the password: deletes everything the organization owns.', params: OrgParams, body: DeleteOrgBody, response: { 204: Type.Null(), ...errorReplies(400, 401, 403, 404, 429) } } },
    async (request, reply) => {
      const auth = requireAuth(request, { sessionOnly: true })
      if (!(await verifyAccountPassword(deps, auth.accountId, request.body.password))) throw AccountErrors.invalidPassword()
      await orgs.deleteOrg(deps, orgContext(request), orgMeta(request))
      return reply.code(204).send(null)
    },
  )

  app.post(
    '/ownership',
    { config: { permission: 'org:transfer' }, schema: { tags, security: [{ session: [] }], description: 'Owner only: the member becomes owner and the caller admin, atomically.', params: OrgParams, body: TransferOwnershipBody, response: { 204: Type.Null(), ...errorReplies(400, 401, 403, 404) } } },
    async (request, reply) => {
      requireAuth(request, { sessionOnly: true })
      await transferOwnership(deps, orgContext(request), request.body.accountId, orgMeta(request))
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
        description: 'Admin or owner. Newest first, paged by cursor; with `Accept: application/x-ndjson`, every event oldest first with its chain data (verify with npm run audit:verify-export).',
        params: OrgParams,
        querystring: AuditQuery,
        response: { 200: AuditEventsReply, ...errorReplies(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const ctx = orgContext(request)
      if ((request.headers.accept ?? '').includes('application/x-ndjson')) {
        const header = { format: EXPORT_FORMAT, orgId: ctx.orgId, exportedAt: deps.clock.now().toISOString() }
        async function* lines(): AsyncGenerator<string> {
          yield `${JSON.stringify(header)}\n`
          for await (const event of exportOrgEvents(deps.db, ctx.orgId)) yield `${JSON.stringify(event)}\n`
        }
        // A stream bypasses the JSON serializer; the reply type only describes the JSON answer.
        return reply.type('application/x-ndjson; charset=utf-8').send(Readable.from(lines()) as never)
      }
      const limit = Math.min(100, Number(request.query.limit ?? '50'))
      const rows = await listOrgEvents(deps.db, ctx.orgId, { limit: limit + 1, beforeId: request.query.cursor === undefined ? null : Number(request.query.cursor) })
      const page = rows.slice(0, limit)
      const last = page.at(-1)
      return { events: page.map(eventView), nextCursor: rows.length > limit && last !== undefined ? String(last.id) : null }
    },
  )
}
