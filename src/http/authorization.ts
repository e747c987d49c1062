// What a request's Authorization header names, read in one place for the principal and the CSRF
// guard so the two cannot disagree:
// - a bearer token (the scheme in any case, RFC 9110 §11.1): the request is judged by it alone,
//   never by a cookie beside it, and is no CSRF vector (no browser sends one on its own);
// - any other scheme (a proxy in front of a staging site asking for Basic credentials), or an
//   empty header: nothing; the session cookie decides, and the CSRF guard guards it.
// Two Authorization headers are refused (decision 0098).
import type { FastifyRequest } from 'fastify'
import { AppError } from '../errors.js'

const BEARER_SCHEME = /^bearer(?:[ \t]|$)/i
const BEARER = /^Bearer ([\x21-\x7e]{1,512})$/i

export const AuthorizationErrors = {
  // RFC 9110 §11.6.2: one credential. Node keeps the first header and drops the rest, so a proxy
  // that reads the last one would see another caller than the app does.
  repeated: () => new AppError('bad_request', 400, 'Send one Authorization header'),
} as const

/**
 * undefined: the request names no bearer token; null: it names one that cannot be a token (judged,
 * and refused, as an unknown one); else the token as sent.
 */
export function presentedBearer(request: FastifyRequest): string | null | undefined {
  const authorization = request.headers.authorization
  if (authorization === undefined) return undefined
  // A well-formed token (every bearer request of a working client) costs one expression.
  const token = BEARER.exec(authorization)?.[1]
  if (token !== undefined) return token
  return BEARER_SCHEME.test(authorization) ? null : undefined
}

/** More than one Authorization header in the request as sent. */
export function repeatsAuthorization(request: FastifyRequest): boolean {
  if (request.headers.authorization === undefined) return false
  const raw = request.raw.rawHeaders
  let seen = 0
  // rawHeaders alternates names and values.
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]
    if (name?.length === 13 && name.toLowerCase() === 'authorization') seen += 1
  }
  return seen > 1
}
