// pino, JSON to stdout; pretty only in development. Every record passes redactDeep, so a secret
// logged by mistake at any depth is masked. Request lines carry method, path (no query string:
// it may hold a token) and the request id, never headers or bodies.
import { pino, type Logger, type LoggerOptions } from 'pino'
import { redactDeep } from './redact.js'

export type Log = Logger

interface RequestLike {
  method?: string
  url?: string
  ip?: string
  id?: string
}

export function loggerOptions(opts: { level: string; pretty: boolean }): LoggerOptions {
  return {
    level: opts.level,
    // Belt and braces: fast-redact for the well-known places, redactDeep for everything else.
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]', 'headers.authorization', 'headers.cookie'],
      censor: '[REDACTED]',
    },
    formatters: {
      log: (record) => redactDeep(record) as Record<string, unknown>,
      bindings: (bindings): Record<string, unknown> => ({ pid: bindings['pid'] as unknown, hostname: bindings['hostname'] as unknown }),
    },
    serializers: {
      req: (req: RequestLike) => ({ method: req.method, path: req.url?.split('?')[0], ip: req.ip }),
      res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
      err: pino.stdSerializers.err,
    },
    timestamp: pino.stdTimeFunctions.isoTime,
    ...(opts.pretty ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' } } } : {}),
  }
}

export function createLogger(opts: { level: string; pretty: boolean }, destination?: pino.DestinationStream): Log {
  return destination ? pino(loggerOptions({ ...opts, pretty: false }), destination) : pino(loggerOptions(opts))
}
