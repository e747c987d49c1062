// /v1/auth/passkey: passwordless sign-in with a discoverable passkey. Reachable without a session,
// so each route carries the strict per-address limit of the other sign-in routes.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply } from 'fastify'
import { LoginMfaReply } from './auth.schemas.js'
import { userView } from './user-view.js'
import type { Deps } from '../deps.js'
import { requestMeta } from '../http/request-meta.js'
import { errorReplies } from '../http/schemas.js'
import { SESSION_COOKIE, setSessionCookie } from '../http/cookies.js'
import { revokeSession, validateSession } from '../sessions/sessions.service.js'
import { finishPasskeySignIn, startPasskeySignIn } from './passkey-login.service.js'
import { PASSKEY_CHALLENGE_TTL_SECONDS } from '../passkeys/passkeys.service.js'
import { PasskeySignInBody, RequestOptionsReply } from '../passkeys/passkeys.schemas.js'

// HttpOnly, SameSite=Strict (a cross-site page cannot complete someone's ceremony), 5 minutes.
export const PASSKEY_PENDING_COOKIE = '__Host-passkey-pending'
const pendingCookie = { path: '/', httpOnly: true, secure: true, sameSite: 'strict' } as const

function clearPending(reply: FastifyReply): void {
  reply.clearCookie(PASSKEY_PENDING_COOKIE, pendingCookie)
}

const tags = ['auth']

export const passkeyLoginRoutes: FastifyPluginAsyncTypebox<{ deps: Deps }> = async (app, { deps }) => {
  const strict = { rateLimit: { max: deps.config.auth.unauthenticatedRateLimitMax, timeWindow: 60_000 } }

  // No body schema: whatever is sent is ignored, and the answer never depends on an account.
  app.post('/options', { config: strict, schema: { tags, response: { 200: RequestOptionsReply, ...errorReplies(429) } } }, async (_request, reply) => {
    const { options, pendingToken } = await startPasskeySignIn(deps)
    reply.setCookie(PASSKEY_PENDING_COOKIE, pendingToken, { ...pendingCookie, maxAge: PASSKEY_CHALLENGE_TTL_SECONDS })
    return options
  })

  app.post(
    '',
    { config: strict, schema: { tags, body: PasskeySignInBody, response: { 200: LoginMfaReply, ...errorReplies(400, 401, 403, 429) } } },
    async (request, reply) => {
      const meta = requestMeta(request)
      // The ceremony is spent whatever happens next.
      clearPending(reply)
      const result = await finishPasskeySignIn(deps, request.cookies[PASSKEY_PENDING_COOKIE] ?? '', request.body.response, meta)
      if (result.kind !== 'session') throw new Error('unreachable: a passkey sign-in always issues a session')
      // A sign-in replaces whatever session the browser still presented.
      const presented = request.cookies[SESSION_COOKIE]
      const old = presented ? await validateSession(deps, presented) : null
      if (old !== null) await revokeSession(deps.db, old.accountId, old.sessionId)
      setSessionCookie(reply, result.token, deps.config)
      return { user: await userView(deps, result.accountId) }
    },
  )
}
