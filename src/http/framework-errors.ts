// Fastify answers a malformed URL escape (`/%E0%A4%A`) and an over-long route parameter before any
// hook runs, so without this handler those answers carried no security header, no request id and
// Fastify's own error text. Found by the conformance kit (tools/conformance, headers-error check).
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { SECURITY_HEADERS } from './security-headers.js'

/** Fastify's `frameworkErrors` option: the error model and the usual headers for router-level errors. */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const tooLong = error.code === 'FST_ERR_MAX_PARAM_LENGTH'
  const status = tooLong ? 414 : error.code === 'FST_ERR_BAD_URL' ? 400 : 500
  const body =
    status === 400
      ? { error: 'bad_request', message: 'The request is malformed' }
      : status === 414
        ? { error: 'uri_too_long', message: 'The URL is too long' }
        : { error: 'internal_error', message: 'Internal server error' }
  if (status === 500) request.log.error({ err: error, reqId: request.id }, 'router error')
  void reply
    .code(status)
    .headers({ ...SECURITY_HEADERS, 'x-request-id': request.id, 'content-type': 'application/json; charset=utf-8' })
    .send(JSON.stringify(body))
}
