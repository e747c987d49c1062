// An independent RFC 6238 implementation for tests: WebCrypto HMAC-SHA-1 and the RFC 4226
// dynamic truncation written out here, so tests check src/mfa/totp.ts (otplib) against
// something that shares no code with it.
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'

export function base32Decode(text: string): Uint8Array {
  const clean = text.replace(/=+$/, '').toUpperCase()
  const out: number[] = []
  let bits = 0
  let value = 0
  for (const char of clean) {
    const index = BASE32.indexOf(char)
    if (index < 0) throw new Error('not base32')
    value = (value << 5) | index
    bits += 5
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff)
      bits -= 8
    }
  }
  return Uint8Array.from(out)
}

/** The 6-digit RFC 6238 code (SHA-1, 30 s, T0 = 0) of a base32 secret for time step `step`. */
export async function referenceTotpForStep(secretBase32: string, step: number): Promise<string> {
  const key = await globalThis.crypto.subtle.importKey('raw', base32Decode(secretBase32), { name: 'HMAC', hash: 'SHA-1' }, false, ['sign'])
  const counter = new Uint8Array(8)
  let rest = step
  for (let i = 7; i >= 0; i -= 1) {
    counter[i] = rest % 256
    rest = Math.floor(rest / 256)
  }
  const mac = new Uint8Array(await globalThis.crypto.subtle.sign('HMAC', key, counter))
  const offset = mac[19]! & 0x0f
  const binary = ((mac[offset]! & 0x7f) << 24) | (mac[offset + 1]! << 16) | (mac[offset + 2]! << 8) | mac[offset + 3]!
  return String(binary % 1_000_000).padStart(6, '0')
}

export function stepAt(at: Date): number {
  return Math.floor(at.getTime() / 1000 / 30)
}

export async function referenceTotp(secretBase32: string, at: Date): Promise<string> {
  return referenceTotpForStep(secretBase32, stepAt(at))
}
