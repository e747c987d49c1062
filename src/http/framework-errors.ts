// Fastify answers a malformed URL escape (`/%E0%A4%A`) and an over-long route parameter before any
// hook runs, so without this handler those answers carried no security header, no request id and
// Fastify's own error text. Found by the conformance kit (tools/conformance, headers-error check).
import type { Socket } from 'node:net'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { newId } from '../crypto/random.js'
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

const CLIENT_ERRORS: Record<string, [number, string, string, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'Request Header Fields Too Large', 'headers_too_large', 'Request headers are too large'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout', 'request_timeout', 'Request timed out'],
}
const BAD_REQUEST: [number, string, string, string] = [400, 'Bad Request', 'bad_request', 'The request is malformed']

/**
 * Fastify's `clientErrorHandler` option: what Node's HTTP parser refuses before there is a request
 * (headers past the size limit, a malformed header, Content-Length beside Transfer-Encoding) gets
 * the error model, the usual headers and a request id, then the connection closes. Found by a
 * scan: Fastify's default answered its own text with none of them.
 */
export function clientErrors(this: FastifyInstance, error: Error & { code?: string }, socket: Socket): void {
  // A reset connection has no one left to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return
  const [status, reason, code, message] = CLIENT_ERRORS[error.code ?? ''] ?? BAD_REQUEST
  const id = newId()
  // The parser's code only (no message, no bytes of the request): the line says what was refused.
  this.log.info({ reqId: id, status, parserError: error.code }, 'client error')
  if (socket.writable) {
    const body = JSON.stringify({ error: code, message })
    const headers = {
      ...SECURITY_HEADERS,
      'x-request-id': id,
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(Buffer.byteLength(body)),
      connection: 'close',
    }
    const head = Object.entries(headers).map(([name, value]) => `${name}: ${value}`)
    socket.end(`HTTP/1.1 ${status} ${reason}\r\n${head.join('\r\n')}\r\n\r\n${body}`)
  }
  socket.destroySoon()
}
