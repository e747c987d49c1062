// The bearer resolver handed to the principal plugin (src/app.ts): turns `Authorization: Bearer
// <token>` into a token principal, or null. A malformed token costs no database query. A
// well-formed token that opens nothing (unknown, revoked, expired) counts against the client
// address; past the limit the request is refused with 429 and Retry-After (docs/decisions/0021).
import type { BearerResolver } from '../principal/principal.plugin.js'
import { CommonErrors } from '../errors.js'
import { ipKey, reserveAttempt } from '../throttle/throttle.service.js'
import { verifyApiToken } from './api-tokens.service.js'

/** Failed bearer attempts allowed per client address and window (OWASP ASVS 5.0 V6.3.1 spirit). */
export const BEARER_FAILURE_LIMIT = 20
export const BEARER_FAILURE_WINDOW_SECONDS = 300

export const resolveApiToken: BearerResolver = async (deps, presented, request) => {
  const check = await verifyApiToken(deps, presented)
  if (check.status === 'ok') {
    const { accountId, tokenId, scopes, orgId, createdAt, multiFactor, account } = check.token
    return { kind: 'token', accountId, tokenId, scopes, orgId, createdAt, multiFactor, account }
  }
  // Never the token itself: only why it was refused.
  request.log.info({ event: 'auth.token.failed', reason: check.status }, 'bearer token refused')
  if (check.status === 'unknown') {
    const rule = { key: ipKey('bearer', request.ip), limit: BEARER_FAILURE_LIMIT, windowSeconds: BEARER_FAILURE_WINDOW_SECONDS }
    const reservation = await reserveAttempt(deps, rule, deps.clock.now())
    if (!reservation.allowed) {
      request.log.warn({ event: 'auth.token.throttled' }, 'bearer failures over the limit')
      throw CommonErrors.rateLimited(reservation.retryAfterSeconds)
    }
  }
  return null
}
