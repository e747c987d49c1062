// One access-log line per request (Fastify's own request logging writes two and is switched off
// in app.ts): method, path without the query string, client address, status and time, through
// the same serializers and redaction as every other line (logger.ts). Never headers or bodies.
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

async function accessLogPlugin(app: FastifyInstance): Promise<void> {
  app.addHook('onResponse', (request, reply, done) => {
    request.log.info({ req: request, res: reply, responseTime: Math.round(reply.elapsedTime * 100) / 100 }, 'request completed')
    done()
  })
}

export const accessLog = fp(accessLogPlugin, { name: 'access-log', fastify: '5.x' })
