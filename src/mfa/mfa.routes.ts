// /v1/me/mfa: TOTP enrolment, confirmation, recovery codes, turning TOTP off. Every route needs a
// signed-in session (an API token may not change the account's factors) and full re-authentication:
// the password to enrol; the password and a current code for new recovery codes or turning it off.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Deps } from '../deps.js'
import { requestMeta } from '../http/request-meta.js'
import { errorReplies, SESSION_ONLY } from '../http/schemas.js'
import { requireAuth } from '../principal/principal.js'
import { setSessionCookie } from '../http/cookies.js'
import { ConfirmTotpBody, PasswordBody, ReauthBody, RecoveryCodesReply, TotpEnrolmentReply } from './mfa.schemas.js'
import { MfaErrors } from './mfa.errors.js'
import * as mfa from './mfa.service.js'

const tags = ['mfa']

export const mfaRoutes: FastifyPluginAsyncTypebox<{ deps: Deps; otherFactors: mfa.HoldOtherFactors }> = async (app, { deps, otherFactors }) => {
  app.post(
    '/totp',
    { schema: { tags, security: SESSION_ONLY, body: PasswordBody, response: { 200: TotpEnrolmentReply, ...errorReplies(400, 401, 403, 409, 429) } } },
    async (request) => {
      const auth = requireAuth(request, { sessionOnly: true, allowDuringMfaEnrolment: true })
      // A passkey account (a second factor, not TOTP: the principal's statement read both) adds
      // TOTP only from a sign-in that used its passkey (NIST SP 800-63B-4 §4.1.2.1, decision 0101).
      if (!auth.multiFactor && auth.account?.hasSecondFactor === true && !auth.account.mfaEnabled) throw MfaErrors.stepUpRequired()
      return mfa.enrolTotp(deps, auth, request.body.password, requestMeta(request))
    },
  )

  app.post(
    '/totp/confirm',
    { schema: { tags, security: SESSION_ONLY, body: ConfirmTotpBody, response: { 200: RecoveryCodesReply, ...errorReplies(400, 401, 403, 409, 429) } } },
    async (request, reply) => {
      const auth = requireAuth(request, { sessionOnly: true, allowDuringMfaEnrolment: true })
      const { recoveryCodes, sessionToken } = await mfa.confirmTotp(deps, auth, request.body.code, requestMeta(request))
      // The session gained a factor: it goes on under a new token (the old cookie is dead).
      setSessionCookie(reply, sessionToken, deps.config)
      return { recoveryCodes }
    },
  )

  app.post(
    '/recovery-codes',
    { schema: { tags, security: SESSION_ONLY, body: ReauthBody, response: { 200: RecoveryCodesReply, ...errorReplies(400, 401, 403, 409, 429) } } },
    async (request) => {
      const auth = requireAuth(request, { sessionOnly: true })
      return { recoveryCodes: await mfa.regenerateRecoveryCodes(deps, auth.accountId, request.body, requestMeta(request)) }
    },
  )

  app.delete(
    '/totp',
    { schema: { tags, security: SESSION_ONLY, body: ReauthBody, response: { 204: {}, ...errorReplies(400, 401, 403, 409, 429) } } },
    async (request, reply) => {
      const auth = requireAuth(request, { sessionOnly: true })
      await mfa.disableTotp(deps, auth.accountId, request.body, requestMeta(request), otherFactors)
      return reply.code(204).send()
    },
  )
}
