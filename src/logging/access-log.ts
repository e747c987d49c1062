// One access-log line per request, where Fastify writes two ("incoming request" and "request
// completed"): method, path without the query string, client address, status and time, through
// the same serializers and redaction as every other line (logger.ts). Never headers or bodies.
import { type FastifyBaseLogger, type FastifyReply, type FastifyRequest, LogController } from 'fastify'
import type { Bindings, ChildLoggerOptions } from 'fastify/types/logger.js'

/**
 * Fastify's per-request child logger (`childLoggerFactory`), through pino's fast path: Fastify
 * hands an options object even when it is empty, and pino then rebuilds the child's formatters
 * on every request. Route-level log levels and serializers still reach pino.
 */
export function requestChildLogger(logger: FastifyBaseLogger, bindings: Bindings, opts: ChildLoggerOptions): FastifyBaseLogger {
  return opts.level === undefined && opts.serializers === undefined ? logger.child(bindings) : logger.child(bindings, opts)
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The error code of a refused request (4xx, shed 503), for its access line; set by the error handler. */
    refusal: string | null
  }
}

export class AccessLogController extends LogController {
  override incomingRequest(): void {
    // Nothing: the completion line says everything the start line did.
  }

  override requestCompleted(error: Error | null, request: FastifyRequest, reply: FastifyReply): void {
    const responseTime = Math.round(reply.elapsedTime * 100) / 100
    if (error) reply.log.error({ req: request, res: reply, err: error, responseTime }, 'request errored')
    // `error`, not `code`: a field named code is masked as a possible TOTP code (redact.ts).
    else if (request.refusal !== null) reply.log.info({ req: request, res: reply, responseTime, error: request.refusal }, 'request completed')
    else reply.log.info({ req: request, res: reply, responseTime }, 'request completed')
  }
}
