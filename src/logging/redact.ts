// Redaction of secrets from log records, at any depth. A key that names a secret loses its value,
// and any string that carries a bearer credential or an API token is masked, wherever it sits.
export const REDACTED = '[REDACTED]'

// Keys whose values are secrets (passwords, tokens, cookies, keys, one-time codes...).
const SECRET_KEY =
  /(pass(word|wd|phrase)?|secret|token|authorization|cookie|api[-_]?key|private[-_]?key|credential|pepper|otp|recovery[-_]?codes?|signature|^code$|^dsn$|database[-_]?url|smtp[-_]?url|redis[-_]?url)$/i
const BEARER = /\b(bearer|basic)\s+[^\s"',]+/gi
// An API token under any prefix a fork may configure (src/api-tokens/token-format.ts,
// API_TOKEN_ANY_PREFIX_SOURCE; redact.test.ts checks they agree), found by its value, so a token
// logged under an innocent key or inside a message is masked too. The prefix is kept: it is public.
const API_TOKEN = /([a-z][a-z0-9]{1,9})_[0-9A-Za-z]{49}/g
const MAX_DEPTH = 8

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key)
}

/** Masks bearer credentials and API tokens inside a free-text string (log messages, error text). */
export function redactString(value: string): string {
  return value.replace(BEARER, (_, scheme: string) => `${scheme} ${REDACTED}`).replace(API_TOKEN, (_, prefix: string) => `${prefix}_${REDACTED}`)
}

/** Returns a copy of `value` with secret-named fields and bearer strings masked. */
export function redactDeep(value: unknown, depth = 0, seen?: WeakSet<object>): unknown {
  if (typeof value === 'string') return redactString(value)
  if (value === null || typeof value !== 'object') return value
  seen ??= new WeakSet<object>()
  if (value instanceof Error) return value // errors go through pino's serializer; see logger.ts
  if (seen.has(value)) return '[Circular]'
  if (depth >= MAX_DEPTH) return '[Truncated]'
  seen.add(value)
  if (Array.isArray(value)) return value.map((item) => redactDeep(item, depth + 1, seen))
  if (Buffer.isBuffer(value)) return REDACTED
  const out: Record<string, unknown> = {}
  for (const [key, child] of Object.entries(value)) {
    out[key] = isSecretKey(key) && child !== undefined && child !== null ? REDACTED : redactDeep(child, depth + 1, seen)
  }
  return out
}

/**
 * A log record's fields masked as redactDeep masks them, except the fields named in `serialized`,
 * left as they are for their serializers. A new object: the caller's record is never changed.
 */
export function redactFields(record: Record<string, unknown>, serialized: ReadonlySet<string>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(record)) {
    const value = record[key]
    if (serialized.has(key) || value === undefined || value === null) out[key] = value
    else if (isSecretKey(key)) out[key] = REDACTED
    else if (typeof value === 'string') out[key] = redactString(value)
    else out[key] = typeof value === 'object' ? redactDeep(value, 1) : value
  }
  return out
}
