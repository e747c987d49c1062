// /v1/me: the caller's own account. Reading accepts an API token with the right scope; changing
// the password and deleting the account need a session and the current password again.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { changePassword, deleteAccount } from '../accounts/accounts.service.js'
import { AccountReply, ChangePasswordBody, DeleteAccountBody, SecurityEventsReply } from '../accounts/accounts.schemas.js'
import { listEvents } from '../audit/audit.service.js'
import type { Deps } from '../deps.js'
import { errorReplies } from '../http/schemas.js'
import { requestMeta } from '../http/request-meta.js'
import { requireAuth } from '../principal/principal.js'
import { clearSessionCookie } from '../sessions/session-cookie.js'
import { userView, userViewOf } from './user-view.js'

const tags = ['account']

export const meRoutes: FastifyPluginAsyncTypebox<{ deps: Deps }> = async (app, { deps }) => {
  app.get('/', { schema: { tags, response: { 200: AccountReply, ...errorReplies(401, 403) } } }, async (request) => {
    const principal = requireAuth(request, { scope: 'account:read', allowDuringMfaEnrolment: true })
    // The account was read with the credential, in the same statement: no second round trip.
    return principal.account ? userViewOf(principal.accountId, principal.account) : userView(deps, principal.accountId)
  })

  app.post('/password', { schema: { tags, body: ChangePasswordBody, response: { 204: {}, ...errorReplies(400, 401, 403, 422, 429) } } }, async (request, reply) => {
    const principal = requireAuth(request, { sessionOnly: true })
    await changePassword(deps, { accountId: principal.accountId, sessionId: principal.sessionId, ...request.body }, requestMeta(request))
    return reply.code(204).send()
  })

  app.delete('/', { schema: { tags, body: DeleteAccountBody, response: { 204: {}, ...errorReplies(400, 401, 403, 429) } } }, async (request, reply) => {
    const principal = requireAuth(request, { sessionOnly: true })
    await deleteAccount(deps, { accountId: principal.accountId, password: request.body.password }, requestMeta(request))
    clearSessionCookie(reply)
    return reply.code(204).send()
  })

  app.get('/security-events', { schema: { tags, response: { 200: SecurityEventsReply, ...errorReplies(401, 403) } } }, async (request) => {
    const principal = requireAuth(request, { scope: 'security-events:read' })
    return { events: await listEvents(deps.db, principal.accountId) }
  })
}
