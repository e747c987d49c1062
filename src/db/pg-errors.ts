// PostgreSQL errors are recognised by SQLSTATE and constraint name, never by message text.
interface PgLikeError {
  code?: string
  constraint?: string
  message?: string
}

// Class 08 (connection exception), 57P01-57P03 (shutdown / cannot connect now), 53300 (too many connections).
const UNAVAILABLE_SQLSTATE = /^(08...|57P0[123]|53300)$/
const UNAVAILABLE_NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH'])

export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  const e = err as PgLikeError | null
  return e?.code === '23505' && (constraint === undefined || e.constraint === constraint)
}

/** True when the error means the database could not be reached (answer 503, do not log out). */
export function isDatabaseUnavailable(err: unknown): boolean {
  const e = err as PgLikeError | null
  if (e === null || typeof e !== 'object') return false
  if (typeof e.code === 'string' && (UNAVAILABLE_SQLSTATE.test(e.code) || UNAVAILABLE_NODE_CODES.has(e.code))) return true
  // pg-pool's own timeout and a connection dropped mid-query carry no code.
  const message = e.message ?? ''
  return (
    message === 'timeout exceeded when trying to connect' || message === 'Connection terminated unexpectedly' || message.startsWith('Connection terminated')
  )
}
