// The one error type features throw. The error handler turns it into the wire shape
// `{ error: code, message }`; `code` is stable, `message` is for humans and never holds internals.
export class AppError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
    options?: { cause?: unknown; extra?: Readonly<Record<string, unknown>> },
  ) {
    // A refusal (4xx) is an answer, not a fault: nobody reads its stack, and capturing one was the
    // largest single cost of a 429 in a login flood (docs/benchmarks.md). A 5xx keeps its stack for the log.
    const stackTraceLimit = Error.stackTraceLimit
    if (status < 500) Error.stackTraceLimit = 0
    super(message, options)
    Error.stackTraceLimit = stackTraceLimit
    this.name = 'AppError'
    this.extra = options?.extra ?? {}
  }

  /** Extra fields of the error body (e.g. `reasons` of weak_password); never internals. */
  readonly extra: Readonly<Record<string, unknown>>
}

export const CommonErrors = {
  unauthenticated: () => new AppError('unauthenticated', 401, 'Authentication required'),
  forbidden: (message = 'Not allowed') => new AppError('forbidden', 403, message),
  notFound: (what = 'Resource') => new AppError('not_found', 404, `${what} not found`),
  rateLimited: (retryAfterSeconds: number) =>
    new AppError('rate_limited', 429, 'Too many requests; try again later', { 'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))) }),
  unavailable: (retryAfterSeconds = 5) =>
    new AppError('unavailable', 503, 'Service temporarily unavailable; try again shortly', { 'retry-after': String(retryAfterSeconds) }),
} as const

/** An error's own code when it is one (capitals, digits, underscores: ECONNREFUSED, ETLS, a SQLSTATE). */
export function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' && /^[0-9A-Z_]{1,32}$/.test(code) ? code : undefined
}

/** The first line of an error's message (bounded) and its code: a log line's reason, never a stack or an object dump. */
export function errorReason(err: unknown): string {
  const message = (err as { message?: unknown } | null)?.message
  const text = typeof message === 'string' && message.trim() !== '' ? (message.split('\n')[0] ?? '').slice(0, 200) : 'unknown error'
  const code = errorCode(err)
  return code === undefined ? text : `${text} (${code})`
}
