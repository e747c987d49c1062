// Hashes and MACs for secrets that are looked up (session tokens, mail tokens, API tokens) and a
// constant-time comparison. node:crypto only; nothing home-grown.
import { createHash, createHmac, hash, timingSafeEqual } from 'node:crypto'

/** SHA-256 in one call (crypto.hash: no Hash object per call, which every cookie request paid). */
export function sha256(data: string | Buffer): Buffer {
  return hash('sha256', data, 'buffer')
}

export function hmacSha256(key: Buffer, data: string | Buffer): Buffer {
  return createHmac('sha256', key).update(data).digest()
}

/** Compares two secrets in time that depends only on their length. */
export function constantTimeEqual(a: string | Buffer, b: string | Buffer): boolean {
  const left = typeof a === 'string' ? Buffer.from(a) : a
  const right = typeof b === 'string' ? Buffer.from(b) : b
  // Hash both first so unequal lengths take the same time as equal ones.
  return timingSafeEqual(sha256(left), sha256(right)) && left.length === right.length
}

/** SHA-1 in upper-case hex: only as the lookup key of the HIBP range API, never to protect anything. */
export function sha1HexForBreachLookup(data: string): string {
  return createHash('sha1').update(data).digest('hex').toUpperCase()
}
