// /v1/me/passkeys: register, list, rename and remove the caller's passkeys. Every route needs a
// signed-in session (an API token may not change how the account signs in). Registration is open
// to a session that still has to enrol a second factor under MFA_REQUIRED: a passkey is one.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Deps } from '../deps.js'
import { requestMeta } from '../http/request-meta.js'
import { errorReplies, SESSION_ONLY } from '../http/schemas.js'
import { requireAuth } from '../principal/principal.js'
import * as schemas from './passkeys.schemas.js'
import * as passkeys from './passkeys.service.js'

const tags = ['passkeys']

export const passkeysRoutes: FastifyPluginAsyncTypebox<{ deps: Deps }> = async (app, { deps }) => {
  app.post(
    '/registration/options',
    {
      schema: {
        tags,
        security: SESSION_ONLY,
        body: schemas.RegistrationOptionsBody,
        response: { 200: schemas.CreationOptionsReply, ...errorReplies(400, 401, 403, 422, 429) },
      },
    },
    async (request) => {
      const auth = requireAuth(request, { sessionOnly: true, allowDuringMfaEnrolment: true })
      return passkeys.startRegistration(deps, auth, request.body, requestMeta(request))
    },
  )

  app.post(
    '/registration',
    {
      schema: {
        tags,
        security: SESSION_ONLY,
        body: schemas.RegistrationBody,
        response: { 201: schemas.PasskeyCreatedReply, ...errorReplies(400, 401, 403, 409, 422) },
      },
    },
    async (request, reply) => {
      const auth = requireAuth(request, { sessionOnly: true, allowDuringMfaEnrolment: true })
      return reply.code(201).send(await passkeys.finishRegistration(deps, auth, request.body, requestMeta(request)))
    },
  )

  app.get('', { schema: { tags, security: SESSION_ONLY, response: { 200: schemas.PasskeyListReply, ...errorReplies(401, 403) } } }, async (request) => {
    const auth = requireAuth(request, { sessionOnly: true })
    return { passkeys: await passkeys.listPasskeys(deps, auth.accountId) }
  })

  app.patch(
    '/:id',
    {
      schema: {
        tags,
        security: SESSION_ONLY,
        params: schemas.PasskeyIdParams,
        body: schemas.RenameBody,
        response: { 200: schemas.PasskeyView, ...errorReplies(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const auth = requireAuth(request, { sessionOnly: true })
      return passkeys.renamePasskey(deps, auth.accountId, request.params.id, request.body.name, requestMeta(request))
    },
  )

  app.delete(
    '/:id',
    {
      schema: {
        tags,
        security: SESSION_ONLY,
        params: schemas.PasskeyIdParams,
        body: schemas.DeleteBody,
        response: { 204: {}, ...errorReplies(400, 401, 403, 404, 409, 429) },
      },
    },
    async (request, reply) => {
      const auth = requireAuth(request, { sessionOnly: true })
      await passkeys.deletePasskey(deps, auth.accountId, request.params.id, request.body, requestMeta(request))
      return reply.code(204).send()
    },
  )
}
