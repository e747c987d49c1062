// pino, JSON to stdout, buffered (logDestination); pretty only in development. Every
// record passes redactFields, so a secret logged by mistake at any depth is masked. Request lines
// carry method, path (no query string: it may hold a token) and the request id, never headers or
// bodies: the req/res/err serializers pick their fields, so nothing else of a request can reach a
// line. This runs once per request (the access line), so it is kept cheap: docs/benchmarks.md.
import { pino, type Logger, type LoggerOptions } from 'pino'
import { redactDeep, redactFields, redactString } from './redact.js'

export type Log = Logger

interface RequestLike {
  method?: string
  url?: string
  ip?: string
  id?: string
}

// Serialized by their own functions below (pino runs them after formatters.log), not by redactFields.
const SERIALIZED = new Set(['req', 'res', 'err'])

// pino's isoTime builds a Date and an ISO string per line; the date and time up to the second
// change once a second, so they are formatted once a second and the milliseconds appended.
let isoSecond = -1
let isoPrefix = ''
export function isoTime(): string {
  const now = Date.now()
  const ms = now % 1000
  const second = now - ms
  if (second !== isoSecond) {
    isoSecond = second
    isoPrefix = new Date(second).toISOString().slice(0, 20) // "2026-12-01T05:46:26."
  }
  return `,"time":"${isoPrefix}${ms < 10 ? '00' : ms < 100 ? '0' : ''}${ms}Z"`
}

// What an error's own `code` looks like: Node's (ECONNRESET, ERR_...), Fastify's (FST_...) or a
// PostgreSQL SQLSTATE (five characters). Kept in the line, where a field named `code` is otherwise
// masked as a possible one-time code (redact.ts): a six-digit TOTP code is none of these.
const ERROR_CODE = /^(?:E[A-Z]{2,}|ERR_[A-Z0-9_]+|FST_[A-Z0-9_]+|[0-9A-Z]{5})$/

function serializeError(err: Error): unknown {
  const out = redactDeep(pino.stdSerializers.err(err)) as Record<string, unknown>
  const code = (err as { code?: unknown }).code
  if (typeof code === 'string' && ERROR_CODE.test(code)) out['code'] = code
  return out
}

export function loggerOptions(opts: { level: string; pretty: boolean }): LoggerOptions {
  return {
    level: opts.level,
    formatters: {
      log: (record) => redactFields(record, SERIALIZED),
      bindings: (bindings): Record<string, unknown> => ({ pid: bindings['pid'] as unknown, hostname: bindings['hostname'] as unknown }),
    },
    // The message string is not part of the record formatters.log sees; mask tokens in it too.
    // `args` is a fresh array per call (pino's rest parameter), so it is masked in place.
    hooks: {
      logMethod(args, method) {
        for (let i = 0; i < args.length; i += 1) {
          const arg: unknown = args[i]
          if (typeof arg === 'string') (args as unknown[])[i] = redactString(arg)
        }
        method.apply(this, args)
      },
    },
    serializers: {
      req: (req: RequestLike) => ({ method: req.method, path: req.url?.split('?')[0], ip: req.ip }),
      res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
      // Serialized after formatters.log runs, so the error's message and stack are masked here.
      err: serializeError,
    },
    timestamp: isoTime,
    ...(opts.pretty ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' } } } : {}),
  }
}

/** Bytes of log lines held before one write: about 16 access lines (docs/decisions/0090). */
export const LOG_BUFFER_BYTES = 4096
/** A line waits at most this long in the buffer when traffic is low. */
export const LOG_FLUSH_MS = 1000
/**
 * The most a destination holds while its reader does not keep up (a stalled log collector, a full
 * pipe): past it new lines are dropped and counted (droppedLogLines, the metric
 * log_lines_dropped_total), so a stuck reader costs log lines, never the process's memory.
 * docs/decisions/0094.
 */
export const LOG_MAX_BUFFERED_BYTES = 16 * 1024 * 1024

let dropped = 0
/** Lines dropped since start because a destination's buffer was full. */
export function droppedLogLines(): number {
  return dropped
}

/**
 * Where lines go (stdout unless told otherwise): written asynchronously, in batches of
 * LOG_BUFFER_BYTES or every LOG_FLUSH_MS, so a busy server makes one write for many lines instead
 * of one per request. pino writes what is left synchronously when the process exits; a process
 * killed outright (SIGKILL, out of memory) loses at most one buffer. docs/decisions/0090.
 */
export function logDestination(dest: number | string = 1): ReturnType<typeof pino.destination> {
  const stream = pino.destination({ dest, sync: false, minLength: LOG_BUFFER_BYTES, maxLength: LOG_MAX_BUFFERED_BYTES, periodicFlush: LOG_FLUSH_MS })
  stream.on('drop', () => {
    dropped += 1
  })
  return stream
}

export function createLogger(opts: { level: string; pretty: boolean }, destination?: pino.DestinationStream): Log {
  if (destination) return pino(loggerOptions({ ...opts, pretty: false }), destination)
  return opts.pretty ? pino(loggerOptions(opts)) : pino(loggerOptions(opts), logDestination())
}
