// /v1/auth: sign-up, email verification, login (password, then MFA), logout, password reset.
// Every route here is reachable without a session, so each carries a strict per-address limit
// on top of the global one (OWASP ASVS 5.0 V2.4.1).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { register, verifyEmail } from '../accounts/accounts.service.js'
import type { Deps } from '../deps.js'
import { errorReplies } from '../http/schemas.js'
import { requestMeta } from '../http/request-meta.js'
import { clearPendingCookie, clearSessionCookie, MFA_PENDING_COOKIE, SESSION_COOKIE, setPendingCookie, setSessionCookie } from '../http/cookies.js'
import { logout, revokeSession, validateSession } from '../sessions/sessions.service.js'
import * as schemas from './auth.schemas.js'
import { completeMfaLogin, login } from './login.service.js'
import { confirmPasswordReset, requestPasswordResetAtFloor } from './password-reset.service.js'
import { userView } from './user-view.js'

const tags = ['auth']

export const authRoutes: FastifyPluginAsyncTypebox<{ deps: Deps }> = async (app, { deps }) => {
  const strict = { rateLimit: { max: deps.config.auth.unauthenticatedRateLimitMax, timeWindow: 60_000 } }

  app.post(
    '/register',
    { config: strict, schema: { tags, body: schemas.RegisterBody, response: { 202: schemas.RegisterReply, ...errorReplies(400, 422, 429) } } },
    async (request, reply) => {
      await register(deps, request.body, requestMeta(request))
      return reply.code(202).send({ status: 'pending_verification' as const })
    },
  )

  app.post(
    '/verify-email',
    { config: strict, schema: { tags, body: schemas.VerifyEmailBody, response: { 204: {}, ...errorReplies(400, 401, 429) } } },
    async (request, reply) => {
      await verifyEmail(deps, request.body, requestMeta(request))
      return reply.code(204).send()
    },
  )

  app.post(
    '/login',
    { config: strict, schema: { tags, body: schemas.LoginBody, response: { 200: schemas.LoginReply, ...errorReplies(400, 401, 403, 429) } } },
    async (request, reply) => {
      const meta = requestMeta(request)
      const result = await login(deps, request.body, meta)
      await endPresentedSession(request.cookies[SESSION_COOKIE])
      if (result.kind === 'mfa') {
        setPendingCookie(reply, result.pendingToken)
        return { mfaRequired: true as const }
      }
      setSessionCookie(reply, result.token, deps.config)
      return { user: await userView(deps, result.accountId) }
    },
  )

  app.post(
    '/login/mfa',
    { config: strict, schema: { tags, body: schemas.LoginMfaBody, response: { 200: schemas.LoginMfaReply, ...errorReplies(400, 401, 429) } } },
    async (request, reply) => {
      const meta = requestMeta(request)
      const pending = request.cookies[MFA_PENDING_COOKIE] ?? ''
      const result = await completeMfaLogin(deps, pending, request.body.code, meta)
      const accountId = result.accountId
      if (result.kind !== 'session') throw new Error('unreachable: completeLogin always issues a session')
      clearPendingCookie(reply)
      setSessionCookie(reply, result.token, deps.config)
      return { user: await userView(deps, accountId) }
    },
  )

  app.post('/logout', { schema: { tags, response: { 204: {} } } }, async (request, reply) => {
    const principal = request.principal
    if (principal?.kind === 'session') {
      await logout(deps, principal.accountId, principal.sessionId, requestMeta(request))
    }
    clearSessionCookie(reply)
    return reply.code(204).send()
  })

  app.post(
    '/password-reset',
    { config: strict, schema: { tags, body: schemas.PasswordResetBody, response: { 202: schemas.PasswordResetReply, ...errorReplies(400, 429) } } },
    async (request, reply) => {
      await requestPasswordResetAtFloor(deps, request.body.email, requestMeta(request))
      return reply.code(202).send({ status: 'accepted' as const })
    },
  )

  app.post(
    '/password-reset/confirm',
    { config: strict, schema: { tags, body: schemas.PasswordResetConfirmBody, response: { 204: {}, ...errorReplies(400, 422, 429) } } },
    async (request, reply) => {
      await confirmPasswordReset(deps, request.body, requestMeta(request))
      return reply.code(204).send()
    },
  )

  /** A login replaces whatever session the browser still presented. */
  async function endPresentedSession(token: string | undefined): Promise<void> {
    if (!token) return
    const old = await validateSession(deps, token)
    if (old !== null) await revokeSession(deps.db, old.accountId, old.sessionId)
  }
}
