// Fastify answers a malformed URL escape (`/%E0%A4%A`) and an over-long route parameter before any
// hook runs, so without this handler those answers carried no security header, no request id and
// Fastify's own error text. Found by the conformance kit (tools/conformance, headers-error check).
// The answers Node's HTTP parser and server would write themselves, outside Fastify, are here too.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { newId } from '../crypto/random.js'
import type { RouteMethods } from './method-not-allowed.js'
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
  if (socket.writable) socket.end(rawAnswer(status, reason, id, { error: code, message }))
  socket.destroySoon()
}

/** The headers of an answer written outside Fastify: the usual ones, the request id, then close. */
function closingHeaders(id: string, body: string): Record<string, string> {
  return {
    ...SECURITY_HEADERS,
    'x-request-id': id,
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
    connection: 'close',
  }
}

/** A whole HTTP/1.1 answer in the error model, for a socket no response object writes to. */
function rawAnswer(status: number, reason: string, id: string, error: object, extra: Record<string, string> = {}): string {
  const body = JSON.stringify(error)
  const head = Object.entries({ ...closingHeaders(id, body), ...extra }).map(([name, value]) => `${name}: ${value}`)
  return `HTTP/1.1 ${status} ${reason}\r\n${head.join('\r\n')}\r\n\r\n${body}`
}

/**
 * Requests Node answers itself, never handing them to Fastify, unless the server listens for them.
 * Found by a tester: an Expect other than 100-continue got a bare 417 (no body, no header of ours)
 * and CONNECT a closed socket. Both now get the error model, the usual headers and a request id,
 * then the connection closes. Call once, before listen.
 */
export function answerServerEvents(app: FastifyInstance, routes: RouteMethods): void {
  // RFC 9110 §10.1.1: an expectation the server cannot meet may be refused with 417.
  app.server.on('checkExpectation', (_request: IncomingMessage, response: ServerResponse) => {
    const id = newId()
    app.log.info({ reqId: id, status: 417 }, 'expectation refused')
    const body = JSON.stringify({ error: 'expectation_failed', message: 'Only Expect: 100-continue is supported' })
    response.writeHead(417, closingHeaders(id, body)).end(body)
  })
  // No route serves CONNECT and the app is no proxy: CONNECT is answered as the not-found handler
  // answers any other method no route serves (405 with Allow where the path is served, else 404).
  app.server.on('connect', (request: IncomingMessage, socket: Duplex) => {
    // Node hands the socket over without its own error listener: a reset must not crash the process.
    socket.on('error', () => socket.destroy())
    // What the client sends after CONNECT is read and dropped, never parsed: no tunnel, no second
    // request. Draining it also lets the close be a FIN, not a reset that could lose the answer.
    socket.resume()
    const id = newId()
    const allow = routes.allowedFor(request.url ?? '')
    const status = allow === '' ? 404 : 405
    app.log.info({ reqId: id, status, method: 'CONNECT' }, 'connect refused')
    const answer =
      allow === ''
        ? rawAnswer(404, 'Not Found', id, { error: 'not_found', message: 'Not found' })
        : rawAnswer(405, 'Method Not Allowed', id, { error: 'method_not_allowed', message: 'Method not allowed' }, { allow })
    if (socket.writable) socket.end(answer, () => socket.destroy())
    else socket.destroy()
  })
}
