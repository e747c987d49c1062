// Every random value in the starter comes from here, and so from the OS CSPRNG (node:crypto).
// Never a non-cryptographic generator, never anything seeded from the clock.
import { randomBytes, randomInt, randomUUID } from 'node:crypto'

/** `bytes` random bytes from the OS CSPRNG. */
export function randomSecret(bytes = 32): Buffer {
  return randomBytes(bytes)
}

/** A new key-ring entry "<id>:<base64url 32 bytes>". */
export function newKeyRingEntry(id: string): string {
  return `${id}:${randomBytes(32).toString('base64url')}`
}

/** A new id: a random (version 4) UUID, in lower case. */
export function newId(): string {
  return randomUUID()
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** True for a UUID in its text form, in either case (RFC 9562 reads both). */
export function isUuid(text: string): boolean {
  return UUID.test(text)
}

/** A uniformly random integer in [min, max). */
export function randomIntBetween(min: number, max: number): number {
  return randomInt(min, max)
}

/** An opaque bearer secret: `bytes` CSPRNG bytes, base64url (43 characters for 32 bytes). */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url')
}
