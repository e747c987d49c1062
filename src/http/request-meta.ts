// Where a request came from, for the audit trail and throttling. request.ip honours TRUST_PROXY
// only when proxies are named, so a forged X-Forwarded-For never changes it by default.
import type { FastifyRequest } from 'fastify'
import type { RequestMeta } from '../audit/audit.service.js'

const USER_AGENT_MAX = 512

export function requestMeta(request: FastifyRequest): RequestMeta {
  const ua = request.headers['user-agent']
  return { ip: request.ip, userAgent: typeof ua === 'string' ? ua.slice(0, USER_AGENT_MAX) : null }
}
