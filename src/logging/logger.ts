// pino, JSON to stdout; pretty only in development. Every record passes redactDeep, so a secret
// logged by mistake at any depth is masked. Request lines carry method, path (no query string:
// it may hold a token) and the request id, never headers or bodies.
import { pino, type Logger, type LoggerOptions } from 'pino'
import { redactDeep, redactString } from './redact.js'

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
      // req/res/err are left to their serializers below (which emit only safe fields); pino
      // runs formatters.log before serializers, so copying them here would lose their getters.
      log: (record) => {
        const { req, res, err, ...rest } = record
        return {
          ...(redactDeep(rest) as Record<string, unknown>),
          ...(req === undefined ? {} : { req }),
          ...(res === undefined ? {} : { res }),
          ...(err === undefined ? {} : { err }),
        }
      },
      bindings: (bindings): Record<string, unknown> => ({ pid: bindings['pid'] as unknown, hostname: bindings['hostname'] as unknown }),
    },
    // The message string is not part of the record formatters.log sees; mask tokens in it too.
    hooks: {
      logMethod(args, method) {
        const masked = args.map((arg: unknown) => (typeof arg === 'string' ? redactString(arg) : arg)) as Parameters<typeof method>
        method.apply(this, masked)
      },
    },
    serializers: {
      req: (req: RequestLike) => ({ method: req.method, path: req.url?.split('?')[0], ip: req.ip }),
      res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
      // Serialized after formatters.log runs, so the error's message and stack are masked here.
      err: (err: Error) => redactDeep(pino.stdSerializers.err(err)),
    },
    timestamp: pino.stdTimeFunctions.isoTime,
    ...(opts.pretty ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' } } } : {}),
  }
}

export function createLogger(opts: { level: string; pretty: boolean }, destination?: pino.DestinationStream): Log {
  return destination ? pino(loggerOptions({ ...opts, pretty: false }), destination) : pino(loggerOptions(opts))
}
