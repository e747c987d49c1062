// /v1/me, the plain reads of the caller's own account: the account and its security events. Both
// accept an API token with the right scope. The changes under /v1/me that cross features (password,
// address, deletion) are src/auth/me.routes.ts; the URLs are the same.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { listEvents } from '../audit/audit.service.js'
import type { Deps } from '../deps.js'
import { errorReplies, SESSION_OR_TOKEN } from '../http/schemas.js'
import { requireAuth } from '../principal/principal.js'
import { AccountReply, SecurityEventsReply } from './accounts.schemas.js'
import { type MfaStatus, userView, userViewOf } from './user-view.js'

const tags = ['account']

export const accountsRoutes: FastifyPluginAsyncTypebox<{ deps: Deps; mfaEnabled: MfaStatus }> = async (app, { deps, mfaEnabled }) => {
  app.get('', { schema: { tags, security: SESSION_OR_TOKEN, response: { 200: AccountReply, ...errorReplies(401, 403) } } }, async (request) => {
    const principal = requireAuth(request, { scope: 'account:read', allowDuringMfaEnrolment: true })
    // The account was read with the credential, in the same statement: no second round trip.
    return principal.account ? userViewOf(principal.accountId, principal.account) : userView(deps, principal.accountId, mfaEnabled)
  })

  app.get(
    '/security-events',
    { schema: { tags, security: SESSION_OR_TOKEN, response: { 200: SecurityEventsReply, ...errorReplies(401, 403) } } },
    async (request) => {
      const principal = requireAuth(request, { scope: 'security-events:read' })
      return { events: await listEvents(deps.db, principal.accountId) }
    },
  )
}
