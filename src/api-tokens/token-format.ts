// The API token format, `<prefix>_<body><checksum>` (docs/decisions/0020): a fixed prefix secret
// scanners can match, a body of 32 CSPRNG bytes in base62 at a fixed width of 43 characters, and a
// CRC32 of the body in base62 at a fixed width of 6, as GitHub's tokens do. Pure: no I/O. The
// checksum is not a MAC; it only lets a typo or a random look-alike be refused before any lookup.
import { crc32 } from 'node:zlib'
import { randomSecret } from '../crypto/random.js'

export const API_TOKEN_BYTES = 32
/** ceil(256 / log2(62)): every 32-byte value fits, shorter encodings are left-padded with '0'. */
export const API_TOKEN_BODY_CHARS = 43
export const API_TOKEN_CHECKSUM_CHARS = 6
export const API_TOKEN_TAIL_CHARS = API_TOKEN_BODY_CHARS + API_TOKEN_CHECKSUM_CHARS

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
/** The prefix rule, written once: used here and by tools/init-fork; src/config and log redaction sit below
 * src/api-tokens and keep copies that tests hold equal (token-format.test.ts, redact.test.ts). */
const PREFIX_SOURCE = '[a-z][a-z0-9]{1,9}'
const PREFIX = new RegExp(`^${PREFIX_SOURCE}$`)
/** What a refused prefix is told. */
export const API_TOKEN_PREFIX_RULE = '2-10 lowercase letters or digits, starting with a letter'
const TAIL = /^[0-9A-Za-z]{49}$/

/** The token of the default prefix `sss`, for scanners and docs. */
export const API_TOKEN_PATTERN = /^sss_[0-9A-Za-z]{49}$/
/** Any prefix a fork may configure (API_TOKEN_PREFIX), unanchored: what log redaction masks. */
export const API_TOKEN_ANY_PREFIX_SOURCE = `${PREFIX_SOURCE}_[0-9A-Za-z]{${API_TOKEN_TAIL_CHARS}}`

/** Whether `prefix` may prefix API tokens (API_TOKEN_PREFIX, init-fork's --token-prefix). */
export function isApiTokenPrefix(prefix: string): boolean {
  return PREFIX.test(prefix)
}

/** The anchored pattern of tokens with `prefix`. Throws on a prefix the config would refuse. */
export function apiTokenPattern(prefix: string): RegExp {
  assertPrefix(prefix)
  // eslint-disable-next-line security/detect-non-literal-regexp -- prefix checked against PREFIX above: [a-z0-9] only
  return new RegExp(`^${prefix}_[0-9A-Za-z]{${API_TOKEN_TAIL_CHARS}}$`)
}

function assertPrefix(prefix: string): void {
  if (!isApiTokenPrefix(prefix)) throw new Error(`API token prefix must be ${API_TOKEN_PREFIX_RULE}`)
}

function toBase62(value: bigint, width: number): string {
  let out = ''
  let rest = value
  while (rest > 0n) {
    out = BASE62.charAt(Number(rest % 62n)) + out
    rest /= 62n
  }
  if (out.length > width) throw new Error('value does not fit the width')
  return out.padStart(width, '0')
}

function checksumOf(body: string): string {
  return toBase62(BigInt(crc32(body) >>> 0), API_TOKEN_CHECKSUM_CHARS)
}

/** A new token; the caller shows it once and stores only its HMAC. */
export function generateApiToken(prefix: string): string {
  assertPrefix(prefix)
  const body = toBase62(BigInt(`0x${randomSecret(API_TOKEN_BYTES).toString('hex')}`), API_TOKEN_BODY_CHARS)
  return `${prefix}_${body}${checksumOf(body)}`
}

export type ParsedApiToken = { readonly ok: true; readonly body: string } | { readonly ok: false }

/** Checks prefix, length, charset and checksum; touches nothing outside this module. */
export function parseApiToken(prefix: string, presented: string): ParsedApiToken {
  const head = `${prefix}_`
  if (presented.length !== head.length + API_TOKEN_TAIL_CHARS || !presented.startsWith(head)) return { ok: false }
  const tail = presented.slice(head.length)
  if (!TAIL.test(tail)) return { ok: false }
  const body = tail.slice(0, API_TOKEN_BODY_CHARS)
  // The checksum is public (anyone can compute a CRC32), so a plain comparison leaks nothing.
  if (tail.slice(API_TOKEN_BODY_CHARS) !== checksumOf(body)) return { ok: false }
  return { ok: true, body }
}
