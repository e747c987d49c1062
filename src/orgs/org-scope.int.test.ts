// orgScope fails closed: a route a fork adds under /v1/orgs/:orgId without declaring a permission is
// refused to every member, owner included, instead of being open to all of them.
import Fastify from 'fastify'
import { describe, expect, it } from 'vitest'
import { errorHandler } from '../http/error-handler.js'
import { signedIn } from '../testing/factories.js'
import { accountIdOf, createOrg } from '../testing/orgs.js'
import { useTestApp } from '../testing/test-app.js'
import { orgScope } from './org-scope.js'

describe('orgScope', () => {
  const t = useTestApp()

  it('refuses a route that declares no permission (403), and serves one that does', async () => {
    const owner = await signedIn(t, 'own@scope.test')
    const orgId = await createOrg(t, owner)
    const accountId = await accountIdOf(t, owner)
    const app = Fastify()
    app.setErrorHandler(errorHandler)
    app.decorateRequest('principal', null)
    app.addHook('onRequest', async (request) => {
      request.principal = { kind: 'session', accountId, sessionId: 'test', multiFactor: false }
    })
    await app.register(orgScope, {
      prefix: '/v1/orgs/:orgId',
      deps: t.deps,
      routes: [
        {
          plugin: async (scope) => {
            scope.get('/forgotten', async () => ({ secret: 'everyone could read this' }))
            scope.get('/declared', { config: { permission: 'org:read' } }, async () => ({ ok: true }))
          },
        },
      ],
    })
    const forgotten = await app.inject({ method: 'GET', url: `/v1/orgs/${orgId}/forgotten` })
    expect(forgotten.statusCode).toBe(403)
    expect(forgotten.body).not.toContain('everyone')
    expect((await app.inject({ method: 'GET', url: `/v1/orgs/${orgId}/declared` })).json()).toEqual({ ok: true })
    await app.close()
  })
})
