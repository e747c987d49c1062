// The one sealing module for every field the starter stores encrypted (OWASP ASVS 5.0 V11.3.2/V11.3.3).
// Invariants:
// - a sealed value is a compact JWE, `dir` + `A256GCM`, under the key ring's active key; its `kid`
//   names the key, so older keys still open it and keys rotate without downtime;
// - the protected header (the GCM additional data) carries a binding context such as
//   `totp:<accountId>`, and open() refuses a value whose context differs, so a ciphertext copied to
//   another row fails instead of decrypting;
// - any failure (unknown kid, tampering, wrong context, other algorithms) throws UnsealError,
//   whose message never holds key material, plaintext or library detail.
import { CompactEncrypt, compactDecrypt, decodeProtectedHeader } from 'jose'
import { activeKey, type KeyRing } from './keyring.js'

const ALG = 'dir'
const ENC = 'A256GCM'
const CONTEXT_MAX = 200

/** A sealed value that cannot be opened: wrong key, wrong context, tampered or malformed. */
export class UnsealError extends Error {
  constructor(reason: string, options?: { cause?: unknown }) {
    super(`sealed value refused: ${reason}`, options)
    this.name = 'UnsealError'
  }
}

function checkContext(context: string): void {
  if (context.length === 0 || context.length > CONTEXT_MAX) throw new Error('aead: context must be 1-200 characters')
}

/** Encrypts `plaintext` under the ring's active key, bound to `context`. */
export async function seal(ring: KeyRing, plaintext: Buffer | string, context: string): Promise<string> {
  checkContext(context)
  const bytes = typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext
  return new CompactEncrypt(bytes).setProtectedHeader({ alg: ALG, enc: ENC, kid: ring.activeId, ctx: context }).encrypt(activeKey(ring))
}

/** Decrypts a value made by seal() with the same `context`. Throws UnsealError on any mismatch. */
export async function open(ring: KeyRing, jwe: string, context: string): Promise<Buffer> {
  checkContext(context)
  let result
  try {
    result = await compactDecrypt(
      jwe,
      (header) => {
        const key = typeof header.kid === 'string' ? ring.keys.get(header.kid) : undefined
        if (key === undefined) throw new UnsealError('unknown key id')
        return key
      },
      { keyManagementAlgorithms: [ALG], contentEncryptionAlgorithms: [ENC] },
    )
  } catch (err) {
    if (err instanceof UnsealError) throw err
    throw new UnsealError('cannot decrypt', { cause: err })
  }
  // The header is authenticated by GCM, so this compares what seal() wrote.
  if (result.protectedHeader['ctx'] !== context) throw new UnsealError('context mismatch')
  return Buffer.from(result.plaintext)
}

/** The key id a sealed value names, or undefined when it cannot be read. */
export function sealedKeyId(jwe: string): string | undefined {
  try {
    const { kid } = decodeProtectedHeader(jwe)
    return typeof kid === 'string' ? kid : undefined
  } catch {
    return undefined
  }
}

/** True when the value was sealed under a key other than the ring's active one. */
export function needsReseal(ring: KeyRing, jwe: string): boolean {
  return sealedKeyId(jwe) !== ring.activeId
}
