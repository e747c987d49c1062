// Recovery codes (look-up secrets, NIST SP 800-63B-4 §3.1.2 and §4.2.1.1, OWASP ASVS 5.0 V6.5).
// Each code is 24 Crockford base32 characters from the CSPRNG: 120 bits, above the 112 bits at
// which ASVS V6.5.2 allows a plain approved hash, so only SHA-256 of the normalised code is
// stored (docs/decisions/0011). Input is forgiving: case, dashes and spaces are ignored, and the
// look-alikes o/i/l read as 0/1/1.
import { sha256 } from '../crypto/hash.js'
import { randomIntBetween } from '../crypto/random.js'

export const RECOVERY_CODE_COUNT = 10
export const RECOVERY_CODE_CHARS = 24
/** Crockford's base32 alphabet: no i, l, o, u, so nothing reads as another character. */
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'
export const RECOVERY_CODE_BITS = RECOVERY_CODE_CHARS * Math.log2(ALPHABET.length)
// ALPHABET as a character class, RECOVERY_CODE_CHARS long (checked in recovery-codes.test.ts).
const NORMALISED = /^[0-9a-hjkmnp-tv-z]{24}$/
const GROUP = /.{6}/g
/** The longest input worth normalising: the code, its dashes and some stray spaces. */
const INPUT_MAX = 64

/** One code as shown to the user: four dash-separated groups of six, e.g. `4k7q2m-...`. */
export function generateRecoveryCode(): string {
  let raw = ''
  for (let i = 0; i < RECOVERY_CODE_CHARS; i += 1) raw += ALPHABET.charAt(randomIntBetween(0, ALPHABET.length))
  return raw.match(GROUP)?.join('-') ?? raw
}

export function generateRecoveryCodes(count = RECOVERY_CODE_COUNT): string[] {
  return Array.from({ length: count }, () => generateRecoveryCode())
}

/** The canonical form of a typed code, or null when it cannot be a recovery code. */
export function normalizeRecoveryCode(input: string): string | null {
  if (input.length > INPUT_MAX) return null
  const canonical = input.toLowerCase().replace(/[\s-]/g, '').replace(/o/g, '0').replace(/[il]/g, '1')
  return NORMALISED.test(canonical) ? canonical : null
}

/** What is stored: SHA-256 of the canonical code. */
export function hashRecoveryCode(canonical: string): Buffer {
  return sha256(`recovery-code:${canonical}`)
}

/** The stored hash of a code as generateRecoveryCode() shows it. */
export function hashShownRecoveryCode(shown: string): Buffer {
  return hashRecoveryCode(shown.replace(/-/g, ''))
}
