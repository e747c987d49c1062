// RFC 6238 TOTP: the only file that imports otplib, so a library rewrite touches one place.
// Invariants:
// - SHA-1, 6 digits, 30 s steps, T0 = 0 (RFC 6238 §4; what authenticator apps implement);
// - at most one step of drift either way (RFC 6238 §5.2); replay is refused by the caller,
//   which stores the matched step (see mfa.service.ts);
// - otplib 13's verify() resolves to `{ valid, ... }`, an object that is always truthy: only
//   `result.valid === true` counts, and it is read here and nowhere else;
// - the secret is 20 bytes (160 bits, RFC 4226 §4 R6) from src/crypto/random.ts.
import { generate, generateURI, ScureBase32Plugin, verify } from 'otplib'
import { randomSecret } from '../crypto/random.js'

export const TOTP_SECRET_BYTES = 20
export const TOTP_PERIOD_SECONDS = 30
export const TOTP_DIGITS = 6
/** Steps accepted either side of the current one (RFC 6238 §5.2 recommends at most one). */
export const TOTP_DRIFT_STEPS = 1

const base32 = new ScureBase32Plugin()
const CODE_SHAPE = /^[0-9]{6}$/

function epochSeconds(at: Date): number {
  return Math.floor(at.getTime() / 1000)
}

/** A new shared secret: 20 CSPRNG bytes as unpadded RFC 4648 base32 (32 characters). */
export function generateTotpSecret(): string {
  return base32.encode(randomSecret(TOTP_SECRET_BYTES), { padding: false })
}

/** The RFC 6238 time step (counter) that `at` falls in. */
export function totpStep(at: Date): number {
  return Math.floor(epochSeconds(at) / TOTP_PERIOD_SECONDS)
}

/** The 6-digit code for `secret` (base32) at `at`. */
export async function totpCode(secret: string, at: Date): Promise<string> {
  return generate({ secret, epoch: epochSeconds(at), period: TOTP_PERIOD_SECONDS, digits: TOTP_DIGITS, algorithm: 'sha1' })
}

/**
 * The time step whose code equals `code`, searching the step of `at` and one step either side,
 * or null when none matches (also for a malformed code or secret). Constant-time compare inside otplib.
 */
export async function matchTotpStep(secret: string, code: string, at: Date): Promise<number | null> {
  if (!CODE_SHAPE.test(code)) return null
  try {
    const result = await verify({
      secret,
      token: code,
      epoch: epochSeconds(at),
      period: TOTP_PERIOD_SECONDS,
      digits: TOTP_DIGITS,
      algorithm: 'sha1',
      epochTolerance: TOTP_DRIFT_STEPS * TOTP_PERIOD_SECONDS,
    })
    // The result object is always truthy; only its `valid` field says whether the code matched.
    if (!result.valid) return null
    return 'timeStep' in result && Number.isSafeInteger(result.timeStep) ? result.timeStep : null
  } catch {
    return null
  }
}

/** The otpauth:// URL an authenticator app scans (Key URI Format: issuer, label, secret). */
export function totpUri(opts: { issuer: string; account: string; secret: string }): string {
  return generateURI({
    issuer: opts.issuer,
    label: opts.account,
    secret: opts.secret,
    algorithm: 'sha1',
    digits: TOTP_DIGITS,
    period: TOTP_PERIOD_SECONDS,
  })
}
