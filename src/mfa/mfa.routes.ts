// /v1/me/mfa: TOTP enrolment, confirmation, recovery codes, turning TOTP off. Every route needs a
// signed-in session (an API token may not change the account's factors).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Deps } from '../deps.js'
import { requestMeta } from '../http/request-meta.js'
import { errorReplies } from '../http/schemas.js'
import { requireAuth } from '../principal/principal.js'
import { ConfirmTotpBody, PasswordBody, RecoveryCodesReply, TotpEnrolmentReply } from './mfa.schemas.js'
import * as mfa from './mfa.service.js'

const tags = ['mfa']

export const mfaRoutes: FastifyPluginAsyncTypebox<{ deps: Deps }> = async (app, { deps }) => {
  app.post('/totp', { schema: { tags, response: { 200: TotpEnrolmentReply, ...errorReplies(401, 403, 409) } } }, async (request) => {
    const auth = requireAuth(request, { sessionOnly: true, allowDuringMfaEnrolment: true })
    return mfa.enrolTotp(deps, auth.accountId)
  })

  app.post(
    '/totp/confirm',
    { schema: { tags, body: ConfirmTotpBody, response: { 200: RecoveryCodesReply, ...errorReplies(400, 401, 403, 409, 429) } } },
    async (request) => {
      const auth = requireAuth(request, { sessionOnly: true, allowDuringMfaEnrolment: true })
      return { recoveryCodes: await mfa.confirmTotp(deps, auth.accountId, request.body.code, requestMeta(request)) }
    },
  )

  app.post(
    '/recovery-codes',
    { schema: { tags, body: PasswordBody, response: { 200: RecoveryCodesReply, ...errorReplies(400, 401, 403, 409, 429) } } },
    async (request) => {
      const auth = requireAuth(request, { sessionOnly: true })
      return { recoveryCodes: await mfa.regenerateRecoveryCodes(deps, auth.accountId, request.body.password, requestMeta(request)) }
    },
  )

  app.delete('/totp', { schema: { tags, body: PasswordBody, response: { 204: {}, ...errorReplies(400, 401, 403, 409, 429) } } }, async (request, reply) => {
    const auth = requireAuth(request, { sessionOnly: true })
    await mfa.disableTotp(deps, auth.accountId, request.body.password, requestMeta(request))
    return reply.code(204).send()
  })
}
