// /v1/me, the changes that cross features: the password, the address and deleting the account.
// Each needs a session and the password again (and, for the password and the address, a code when
// TOTP is on). The plain reads of /v1/me are src/accounts/accounts.routes.ts.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Deps } from '../deps.js'
import { errorReplies, SESSION_ONLY } from '../http/schemas.js'
import { requestMeta } from '../http/request-meta.js'
import { ReauthBody } from '../mfa/mfa.schemas.js'
import { requireAuth } from '../principal/principal.js'
import { clearSessionCookie, setSessionCookie } from '../http/cookies.js'
import { deleteAccount } from './account-deletion.service.js'
import { ChangeEmailBody, ChangeEmailReply, ChangePasswordBody, ConfirmEmailBody } from './auth.schemas.js'
import { confirmEmailChange, requestEmailChange } from './email-change.service.js'
import { changePassword } from './password-change.service.js'

const tags = ['account']

export const meRoutes: FastifyPluginAsyncTypebox<{ deps: Deps }> = async (app, { deps }) => {
  app.post(
    '/password',
    { schema: { tags, security: SESSION_ONLY, body: ChangePasswordBody, response: { 204: {}, ...errorReplies(400, 401, 403, 422, 429) } } },
    async (request, reply) => {
      const principal = requireAuth(request, { sessionOnly: true })
      const { token } = await changePassword(deps, { accountId: principal.accountId, sessionId: principal.sessionId, ...request.body }, requestMeta(request))
      // The current session continues under a new token; the one the browser held stops working.
      setSessionCookie(reply, token, deps.config)
      return reply.code(204).send()
    },
  )

  app.post(
    '/email',
    { schema: { tags, security: SESSION_ONLY, body: ChangeEmailBody, response: { 202: ChangeEmailReply, ...errorReplies(400, 401, 403, 429) } } },
    async (request, reply) => {
      const principal = requireAuth(request, { sessionOnly: true })
      await requestEmailChange(deps, { accountId: principal.accountId, ...request.body }, requestMeta(request))
      return reply.code(202).send({ status: 'pending_confirmation' as const })
    },
  )

  // The token alone is not enough: it must come from a signed-in session of the account it was made for.
  app.post(
    '/email/confirm',
    { schema: { tags, security: SESSION_ONLY, body: ConfirmEmailBody, response: { 204: {}, ...errorReplies(400, 401, 403, 409, 429) } } },
    async (request, reply) => {
      const principal = requireAuth(request, { sessionOnly: true })
      await confirmEmailChange(deps, { accountId: principal.accountId, sessionId: principal.sessionId, token: request.body.token }, requestMeta(request))
      return reply.code(204).send()
    },
  )

  app.delete(
    '',
    { schema: { tags, security: SESSION_ONLY, body: ReauthBody, response: { 204: {}, ...errorReplies(400, 401, 403, 409, 429) } } },
    async (request, reply) => {
      const principal = requireAuth(request, { sessionOnly: true })
      // The request id goes on the departures it records in the organizations' audit trails.
      await deleteAccount(deps, { accountId: principal.accountId, ...request.body }, { ...requestMeta(request), requestId: request.id })
      clearSessionCookie(reply)
      return reply.code(204).send()
    },
  )
}
