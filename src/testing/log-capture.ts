// A logger whose lines land in an array, for tests that assert what is (and is not) logged.
import { Writable } from 'node:stream'
import { createLogger, type Log } from '../logging/logger.js'

/** One entry per written line, in order; the logger writes JSON (never pretty) at `level`. */
export function capturedLog(level = 'info'): { log: Log; lines: string[] } {
  const lines: string[] = []
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean))
      done()
    },
  })
  return { log: createLogger({ level, pretty: false }, sink), lines }
}
