// /v1/me: the caller's own account. Reading accepts an API token with the right scope; changing
// the password or the address and deleting the account need a session and the password again
// (and, for the password and the address, a code when TOTP is on).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { deleteAccount } from '../accounts/accounts.service.js'
import { AccountReply, DeleteAccountBody, SecurityEventsReply } from '../accounts/accounts.schemas.js'
import { listEvents } from '../audit/audit.service.js'
import type { Deps } from '../deps.js'
import { errorReplies, SESSION_ONLY, SESSION_OR_TOKEN } from '../http/schemas.js'
import { requestMeta } from '../http/request-meta.js'
import { requireAuth } from '../principal/principal.js'
import { clearSessionCookie, setSessionCookie } from '../sessions/session-cookie.js'
import { ChangeEmailBody, ChangeEmailReply, ChangePasswordBody, ConfirmEmailBody } from './auth.schemas.js'
import { confirmEmailChange, requestEmailChange } from './email-change.service.js'
import { changePassword } from './password-change.service.js'
import { userView, userViewOf } from './user-view.js'

const tags = ['account']

export const meRoutes: FastifyPluginAsyncTypebox<{ deps: Deps }> = async (app, { deps }) => {
  app.get('/', { schema: { tags, security: SESSION_OR_TOKEN, response: { 200: AccountReply, ...errorReplies(401, 403) } } }, async (request) => {
    const principal = requireAuth(request, { scope: 'account:read', allowDuringMfaEnrolment: true })
    // The account was read with the credential, in the same statement: no second round trip.
    return principal.account ? userViewOf(principal.accountId, principal.account) : userView(deps, principal.accountId)
  })

  app.post('/password', { schema: { tags, security: SESSION_ONLY, body: ChangePasswordBody, response: { 204: {}, ...errorReplies(400, 401, 403, 422, 429) } } }, async (request, reply) => {
    const principal = requireAuth(request, { sessionOnly: true })
    const { token } = await changePassword(deps, { accountId: principal.accountId, sessionId: principal.sessionId, ...request.body }, requestMeta(request))
    // The current session continues under a new token; the one the browser held stops working.
    setSessionCookie(reply, token, deps.config)
    return reply.code(204).send()
  })

  app.post('/email', { schema: { tags, security: SESSION_ONLY, body: ChangeEmailBody, response: { 202: ChangeEmailReply, ...errorReplies(400, 401, 403, 429) } } }, async (request, reply) => {
    const principal = requireAuth(request, { sessionOnly: true })
    await requestEmailChange(deps, { accountId: principal.accountId, ...request.body }, requestMeta(request))
    return reply.code(202).send({ status: 'pending_confirmation' as const })
  })

  // The token alone is not enough: it must come from a signed-in session of the account it was made for.
  app.post('/email/confirm', { schema: { tags, security: SESSION_ONLY, body: ConfirmEmailBody, response: { 204: {}, ...errorReplies(400, 401, 403, 409, 429) } } }, async (request, reply) => {
    const principal = requireAuth(request, { sessionOnly: true })
    await confirmEmailChange(deps, { accountId: principal.accountId, sessionId: principal.sessionId, token: request.body.token }, requestMeta(request))
    return reply.code(204).send()
  })

  app.delete('/', { schema: { tags, security: SESSION_ONLY, body: DeleteAccountBody, response: { 204: {}, ...errorReplies(400, 401, 403, 409, 429) } } }, async (request, reply) => {
    const principal = requireAuth(request, { sessionOnly: true })
    await deleteAccount(deps, { accountId: principal.accountId, password: request.body.password }, requestMeta(request))
    clearSessionCookie(reply)
    return reply.code(204).send()
  })

  app.get('/security-events', { schema: { tags, security: SESSION_OR_TOKEN, response: { 200: SecurityEventsReply, ...errorReplies(401, 403) } } }, async (request) => {
    const principal = requireAuth(request, { scope: 'security-events:read' })
    return { events: await listEvents(deps.db, principal.accountId) }
  })
}
