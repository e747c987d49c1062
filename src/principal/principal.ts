// requireAuth(): the guard every protected route calls first. It never looks at credentials
// itself; principal.plugin.ts has already turned the cookie or bearer token into request.principal.
import type { FastifyRequest } from 'fastify'
import { AppError, CommonErrors } from '../errors.js'
import type { Principal } from './principal.types.js'
import type { Scope } from './scopes.js'

export type SessionPrincipal = Extract<Principal, { kind: 'session' }>

export const PrincipalErrors = {
  missingScope: (scope: Scope) => new AppError('insufficient_scope', 403, `This token lacks the "${scope}" scope`),
  sessionRequired: () => new AppError('session_required', 403, 'This action needs a signed-in session, not an API token'),
  mfaEnrolmentRequired: () =>
    new AppError(
      'mfa_enrolment_required',
      403,
      'Set up a second factor first: TOTP (POST /v1/me/mfa/totp) or a passkey (POST /v1/me/passkeys/registration/options)',
    ),
} as const

/** Routes a session still waiting for its mandatory second factor may use (MFA_REQUIRED). */
interface EnrolmentOption {
  allowDuringMfaEnrolment?: true
}

/** Throws 401 without a principal, 403 when a token lacks `scope`. */
export function requireAuth(request: FastifyRequest, opts: { scope: Scope } & EnrolmentOption): Principal
/** Throws 401 without a principal, 403 for any API token: the action needs a session. */
export function requireAuth(request: FastifyRequest, opts: { sessionOnly: true } & EnrolmentOption): SessionPrincipal
export function requireAuth(request: FastifyRequest, opts: ({ scope: Scope } | { sessionOnly: true }) & EnrolmentOption): Principal {
  const principal = request.principal
  if (principal === null) throw CommonErrors.unauthenticated()
  if (principal.kind === 'session' && principal.mfaEnrolmentRequired === true && opts.allowDuringMfaEnrolment !== true) {
    throw PrincipalErrors.mfaEnrolmentRequired()
  }
  if ('sessionOnly' in opts) {
    if (principal.kind !== 'session') throw PrincipalErrors.sessionRequired()
    return principal
  }
  if (principal.kind === 'token' && !principal.scopes.includes(opts.scope)) throw PrincipalErrors.missingScope(opts.scope)
  return principal
}
