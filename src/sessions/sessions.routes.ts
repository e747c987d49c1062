// /v1/sessions: list and end the caller's sessions. Another account's session id answers 404,
// exactly like an unknown one, so ids cannot be probed.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Deps } from '../deps.js'
import { CommonErrors } from '../errors.js'
import { clearSessionCookie } from '../http/cookies.js'
import { errorReplies, SESSION_ONLY, SESSION_OR_TOKEN } from '../http/schemas.js'
import { requestMeta } from '../http/request-meta.js'
import { requireAuth } from '../principal/principal.js'
import { SessionIdParams, SessionListReply } from './sessions.schemas.js'
import { endOtherSessions, endSession, listSessions } from './sessions.service.js'

const tags = ['sessions']

export const sessionsRoutes: FastifyPluginAsyncTypebox<{ deps: Deps }> = async (app, { deps }) => {
  app.get('', { schema: { tags, security: SESSION_OR_TOKEN, response: { 200: SessionListReply, ...errorReplies(401, 403) } } }, async (request) => {
    const principal = requireAuth(request, { scope: 'sessions:read' })
    const current = principal.kind === 'session' ? principal.sessionId : null
    return { sessions: await listSessions(deps, principal.accountId, current) }
  })

  app.delete(
    '/:id',
    { schema: { tags, security: SESSION_OR_TOKEN, params: SessionIdParams, response: { 204: {}, ...errorReplies(401, 403, 404) } } },
    async (request, reply) => {
      const principal = requireAuth(request, { scope: 'sessions:write' })
      // A token ends only sessions older than itself: whatever a stolen one does, the owner's next
      // sign-in stays (decision 0042). A token without a known age ends none.
      const olderThan = principal.kind === 'token' ? (principal.createdAt ?? new Date(0)) : undefined
      if (!(await endSession(deps, principal.accountId, request.params.id, requestMeta(request), olderThan))) throw CommonErrors.notFound('Session')
      // The caller ended the session it is on: the browser drops the dead cookie, as after logout.
      if (principal.kind === 'session' && principal.sessionId === request.params.id) clearSessionCookie(reply)
      return reply.code(204).send()
    },
  )

  // Session only: a stolen token holding sessions:write could otherwise end the owner's sessions in a
  // loop and keep them out (docs/decisions/0042). A token may still end one older session by id.
  app.delete('', { schema: { tags, security: SESSION_ONLY, response: { 204: {}, ...errorReplies(401, 403) } } }, async (request, reply) => {
    const principal = requireAuth(request, { sessionOnly: true })
    await endOtherSessions(deps, principal.accountId, principal.sessionId, requestMeta(request))
    return reply.code(204).send()
  })
}
