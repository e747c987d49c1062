// Every failure leaves as `{ error, message }` with a stable code and the x-request-id header.
// Nothing internal (stack, SQL, library text) reaches the client; 5xx are logged with the request id.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { AppError } from '../errors.js'
import { HasherBusyError } from '../crypto/password.js'
import { isDatabaseUnavailable } from '../db/pg-errors.js'

interface ErrorBody {
  error: string
  message: string
  fields?: { field: string; rule: string }[]
  [extra: string]: unknown
}

const GENERIC_4XX: Record<number, [string, string]> = {
  400: ['bad_request', 'The request is malformed'],
  401: ['unauthenticated', 'Authentication required'],
  403: ['forbidden', 'Not allowed'],
  404: ['not_found', 'Not found'],
  405: ['method_not_allowed', 'Method not allowed'],
  406: ['not_acceptable', 'Not acceptable'],
  408: ['request_timeout', 'Request timed out'],
  409: ['conflict', 'Conflict'],
  413: ['payload_too_large', 'The request body is too large'],
  414: ['uri_too_long', 'The URL is too long'],
  415: ['unsupported_media_type', 'Send the body as application/json'],
  422: ['unprocessable', 'The request cannot be processed'],
  429: ['rate_limited', 'Too many requests; try again later'],
  431: ['headers_too_large', 'Request headers are too large'],
}

/**
 * The client hung up before its body was read in full: Node's `aborted` error on the request stream.
 * It carries ECONNRESET, as a dropped database connection does, so it is told apart by the stream:
 * a request whose body never ended. Nobody is left to answer; nothing failed on this side.
 */
function clientAborted(err: FastifyError | Error, request: FastifyRequest): boolean {
  return (err as FastifyError).code === 'ECONNRESET' && request.raw.readableAborted
}

function toBody(err: FastifyError | AppError | Error): { status: number; body: ErrorBody; headers: Record<string, string> } {
  if (err instanceof AppError) {
    return { status: err.status, body: { ...err.extra, error: err.code, message: err.message }, headers: { ...err.headers } }
  }
  const fe = err as FastifyError
  if (fe.validation) {
    const fields = fe.validation.slice(0, 10).map((v) => {
      const params = v.params
      const named = params['missingProperty'] ?? params['additionalProperty']
      return { field: `${fe.validationContext ?? 'body'}${v.instancePath}${typeof named === 'string' ? `/${named}` : ''}`, rule: v.keyword }
    })
    return { status: 400, body: { error: 'validation_failed', message: 'The request does not match the schema', fields }, headers: {} }
  }
  if (fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || fe.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || (err instanceof SyntaxError && fe.statusCode === 400)) {
    return { status: 400, body: { error: 'invalid_json', message: 'The body is not valid JSON' }, headers: {} }
  }
  // A full password-hashing queue (login flood) or an unreachable database: shed load, log no one out.
  if (err instanceof HasherBusyError || isDatabaseUnavailable(err)) {
    return { status: 503, body: { error: 'unavailable', message: 'Service temporarily unavailable; try again shortly' }, headers: { 'retry-after': '5' } }
  }
  const status = typeof fe.statusCode === 'number' ? fe.statusCode : 500
  if (status >= 400 && status < 500) {
    const [code, message] = GENERIC_4XX[status] ?? ['bad_request', 'The request cannot be processed']
    return { status, body: { error: code, message }, headers: {} }
  }
  if (status === 503) {
    return { status, body: { error: 'unavailable', message: 'Service temporarily unavailable; try again shortly' }, headers: { 'retry-after': '5' } }
  }
  return { status: 500, body: { error: 'internal_error', message: 'Internal server error' }, headers: {} }
}

/**
 * A 503 by design: the hashing queue full, the event loop lagging, or a 503 `unavailable` the code
 * raised on purpose (a throttle failing closed while Redis is down, which logs its own warning).
 */
function isShedding(err: FastifyError | Error): boolean {
  return err instanceof HasherBusyError || (err as FastifyError).code === 'FST_UNDER_PRESSURE' || (err instanceof AppError && err.code === 'unavailable')
}

const clientAbortedBody = (): ReturnType<typeof toBody> => ({
  status: 400,
  body: { error: 'client_aborted', message: 'The request body was not received in full' },
  headers: {},
})

export function errorHandler(this: unknown, err: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const { status, body, headers } = clientAborted(err, request) ? clientAbortedBody() : toBody(err)
  // A 401 names the scheme that would do (RFC 9110 §11.6.1): the API's programs send a bearer token.
  if (status === 401) headers['www-authenticate'] = 'Bearer'
  // Refusals (4xx, and shed 503s: the hashing queue full, the event loop lagging) are the server
  // working as designed: their code goes on the request's one access line (src/logging/access-log.ts),
  // with no line of their own and no stack, so a flood of refusals cannot flood the log.
  if (status >= 500 && !isShedding(err)) request.log.error({ err }, 'request failed')
  else request.refusal = body.error
  return reply.code(status).headers(headers).send(body)
}
