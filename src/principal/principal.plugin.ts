// Resolves the caller once per request: `Authorization: Bearer <api token>` or the session cookie
// (another Authorization scheme leaves the cookie in charge; two headers are refused: decision 0098).
// Sessions and tokens are checked against the database on every request (no cache to outlive a
// revocation), in one statement that also touches last-seen and reads the account's state
// (docs/decisions/0065). A bad credential leaves request.principal null; requireAuth() then answers 401.
// This folder sits below every feature: both resolvers are handed in by src/app.ts, so principal
// imports no feature (docs/decisions/0080-layers-enforced.md).
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { Deps } from '../deps.js'
import { AuthorizationErrors, presentedBearer, repeatsAuthorization } from '../http/authorization.js'
import { SESSION_COOKIE } from '../http/cookies.js'
import type { Principal, PrincipalAccount } from './principal.types.js'

/** Turns a presented bearer token into a principal (the API-token feature provides it). */
export type BearerResolver = (deps: Deps, presented: string, request: FastifyRequest) => Promise<Principal | null>

/** Turns a session cookie's value into the live session and its account (the sessions feature provides it). */
export type SessionResolver = (
  deps: Deps,
  token: string,
) => Promise<{ readonly sessionId: string; readonly accountId: string; readonly multiFactor: boolean; readonly account: PrincipalAccount } | null>

async function principalPlugin(app: FastifyInstance, opts: { deps: Deps; resolveBearer: BearerResolver; resolveSession: SessionResolver }): Promise<void> {
  const { deps } = opts
  app.decorateRequest('principal', null)
  app.addHook('onRequest', async (request) => {
    if (repeatsAuthorization(request)) throw AuthorizationErrors.repeated()
    const bearer = presentedBearer(request)
    if (bearer !== undefined) {
      // A request that names a bearer token is judged by it alone, never by a cookie beside it.
      request.principal = bearer !== null ? await opts.resolveBearer(deps, bearer, request) : null
      return
    }
    const token = request.cookies[SESSION_COOKIE]
    if (token === undefined || token === '') return
    const session = await opts.resolveSession(deps, token)
    if (session === null) return
    // MFA_REQUIRED: until the account has a second factor (confirmed TOTP or a passkey), its sessions
    // may only enrol one (docs/decisions/0060-what-counts-as-mfa.md). Once it has one, a session that
    // did not sign in with it is no session: it was opened before (by whoever knew the password) and
    // must sign in again (decision 0101).
    const mfaEnrolmentRequired = deps.config.auth.mfaRequired && !session.account.hasSecondFactor
    if (deps.config.auth.mfaRequired && !mfaEnrolmentRequired && !session.multiFactor) return
    request.principal = {
      kind: 'session',
      accountId: session.accountId,
      sessionId: session.sessionId,
      multiFactor: session.multiFactor,
      account: session.account,
      ...(mfaEnrolmentRequired ? { mfaEnrolmentRequired } : {}),
    }
  })
}

export const principal = fp(principalPlugin, { name: 'principal', fastify: '5.x', dependencies: ['@fastify/cookie'] })
