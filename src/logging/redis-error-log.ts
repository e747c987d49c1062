// The Redis client's error lines (src/server.ts wires this to the client). ioredis hangs the failed
// command on its error, arguments included, and those of AUTH are the user and the password: a
// serialised error printed the password on every reconnect (found by an operator pass).
import type { Log } from './logger.js'

/** The same Redis error is logged at most this often: ioredis retries every 50 ms to 2 s while Redis refuses it. */
const REDIS_ERROR_LOG_EVERY_MS = 60_000

/**
 * The Redis client's error listener. It logs the reason and the failed command's name, never the
 * error object: ioredis hangs the command on it, arguments included, and those of AUTH are the user
 * and the password. A reason already logged within REDIS_ERROR_LOG_EVERY_MS is only counted
 * (`repeatsNotLogged` on the next line), so an outage or a wrong password is not a line per retry.
 */
export function redisErrorLogger(log: Log): (err: Error) => void {
  let lastReason: string | undefined
  let lastAt = 0
  let repeatsNotLogged = 0
  return (err) => {
    const reason = err.message
    const now = Date.now()
    if (reason === lastReason && now - lastAt < REDIS_ERROR_LOG_EVERY_MS) {
      repeatsNotLogged += 1
      return
    }
    const command = (err as { command?: { name?: unknown } }).command?.name
    log.warn(
      { event: 'redis.error', reason, ...(typeof command === 'string' ? { command } : {}), ...(repeatsNotLogged > 0 ? { repeatsNotLogged } : {}) },
      'redis error',
    )
    lastReason = reason
    lastAt = now
    repeatsNotLogged = 0
  }
}
