import { describe, expect, it } from 'vitest'
import { generateTotpSecret, matchTotpStep, totpCode, totpStep, totpUri } from './totp.js'

// RFC 6238 Appendix B, SHA-1 rows: the seed is ASCII "12345678901234567890" (base32 below); the
// RFC lists 8 digits, a 6-digit code is the last six (the truncation is mod 10^digits).
const RFC_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ'
const RFC_VECTORS: [number, string][] = [
  [59, '94287082'],
  [1111111109, '07081804'],
  [1111111111, '14050471'],
  [1234567890, '89005924'],
  [2000000000, '69279037'],
  [20000000000, '65353130'],
]
const at = (seconds: number) => new Date(seconds * 1000)

describe('totpCode', () => {
  it.each(RFC_VECTORS)('matches RFC 6238 Appendix B at t=%i', async (t, eight) => {
    expect(await totpCode(RFC_SECRET, at(t))).toBe(eight.slice(-6))
  })
})

describe('matchTotpStep', () => {
  it.each(RFC_VECTORS)('accepts the RFC code at t=%i and returns its step', async (t, eight) => {
    expect(await matchTotpStep(RFC_SECRET, eight.slice(-6), at(t))).toBe(Math.floor(t / 30))
  })

  it('accepts one step of drift either way and nothing further', async () => {
    const now = at(1_800_000_015)
    const step = totpStep(now)
    for (const offset of [-1, 0, 1]) {
      const code = await totpCode(RFC_SECRET, at((step + offset) * 30 + 1))
      expect(await matchTotpStep(RFC_SECRET, code, now)).toBe(step + offset)
    }
    for (const offset of [-3, -2, 2, 3]) {
      const code = await totpCode(RFC_SECRET, at((step + offset) * 30 + 1))
      expect(await matchTotpStep(RFC_SECRET, code, now)).toBeNull()
    }
  })

  it('refuses wrong codes (verify() result objects are truthy; the wrapper must not be)', async () => {
    const now = at(1_800_000_000)
    const right = await totpCode(RFC_SECRET, now)
    const wrong = String((Number(right) + 1) % 1_000_000).padStart(6, '0')
    expect(await matchTotpStep(RFC_SECRET, wrong, now)).toBeNull()
    expect(await matchTotpStep(RFC_SECRET, '000000', at(59))).toBeNull()
  })

  it('refuses malformed codes and secrets without throwing', async () => {
    const now = at(59)
    for (const code of ['', '28708', '2870822', '28708a', ' 287082', '287082 ', '２８７０８２', '94287082']) {
      expect(await matchTotpStep(RFC_SECRET, code, now)).toBeNull()
    }
    expect(await matchTotpStep('not base32!', '287082', now)).toBeNull()
    expect(await matchTotpStep('', '287082', now)).toBeNull()
  })

  it('refuses the right code under another secret', async () => {
    const code = await totpCode(RFC_SECRET, at(59))
    expect(await matchTotpStep(generateTotpSecret(), code, at(59))).toBeNull()
  })
})

describe('generateTotpSecret', () => {
  it('makes 160-bit base32 secrets that differ each time', () => {
    const secrets = new Set(Array.from({ length: 200 }, () => generateTotpSecret()))
    expect(secrets.size).toBe(200)
    for (const s of secrets) expect(s).toMatch(/^[A-Z2-7]{32}$/)
  })
})

describe('totpUri', () => {
  it('names issuer, account, secret and the parameters', () => {
    const uri = new URL(totpUri({ issuer: 'Acme App', account: 'ana@example.test', secret: RFC_SECRET }))
    expect(uri.protocol).toBe('otpauth:')
    expect(decodeURIComponent(uri.pathname)).toContain('Acme App:ana@example.test')
    expect(uri.searchParams.get('secret')).toBe(RFC_SECRET)
    expect(uri.searchParams.get('issuer')).toBe('Acme App')
    expect(uri.searchParams.get('digits') ?? '6').toBe('6')
    expect(uri.searchParams.get('period') ?? '30').toBe('30')
    expect((uri.searchParams.get('algorithm') ?? 'SHA1').toUpperCase()).toBe('SHA1')
  })
})

describe('against an independent implementation', () => {
  it('agrees with a WebCrypto RFC 6238 implementation on random secrets and times', async () => {
    const { referenceTotp } = await import('../testing/totp-reference.js')
    for (let i = 0; i < 50; i += 1) {
      const secret = generateTotpSecret()
      const when = at(1_700_000_000 + i * 7_919)
      expect(await totpCode(secret, when)).toBe(await referenceTotp(secret, when))
    }
    expect(await referenceTotp(RFC_SECRET, at(59))).toBe('287082')
  })
})
