// One access-log line per request, where Fastify writes two ("incoming request" and "request
// completed"): method, path without the query string, client address, status and time, through
// the same serializers and redaction as every other line (logger.ts). Never headers or bodies.
import { type FastifyReply, type FastifyRequest, LogController } from 'fastify'

export class AccessLogController extends LogController {
  override incomingRequest(): void {
    // Nothing: the completion line says everything the start line did.
  }

  override requestCompleted(error: Error | null, request: FastifyRequest, reply: FastifyReply): void {
    const responseTime = Math.round(reply.elapsedTime * 100) / 100
    if (error) reply.log.error({ req: request, res: reply, err: error, responseTime }, 'request errored')
    else reply.log.info({ req: request, res: reply, responseTime }, 'request completed')
  }
}
