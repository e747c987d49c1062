import { describe, expect, it } from 'vitest'
import {
  generateRecoveryCode,
  generateRecoveryCodes,
  hashRecoveryCode,
  normalizeRecoveryCode,
  RECOVERY_CODE_BITS,
  RECOVERY_CODE_CHARS,
  RECOVERY_CODE_COUNT,
} from './recovery-codes.js'

describe('recovery codes', () => {
  it('carry at least 112 bits (ASVS 5.0 V6.5.2 plain-hash threshold; NIST 63B-4 asks 64)', () => {
    expect(RECOVERY_CODE_BITS).toBeGreaterThanOrEqual(112)
    expect(RECOVERY_CODE_CHARS).toBe(24)
  })

  it('are shown as four groups of six Crockford base32 characters', () => {
    for (let i = 0; i < 200; i += 1) {
      const groups = generateRecoveryCode().split('-')
      expect(groups).toHaveLength(4)
      for (const group of groups) expect(group).toMatch(/^[0-9a-hjkmnp-tv-z]{6}$/)
    }
  })

  it('come as a set of ten distinct codes', () => {
    const codes = generateRecoveryCodes()
    expect(codes).toHaveLength(RECOVERY_CODE_COUNT)
    expect(new Set(codes).size).toBe(RECOVERY_CODE_COUNT)
  })

  it('use every character of the alphabet (no bias towards a subset)', () => {
    const seen = new Set(generateRecoveryCodes(200).join('').replace(/-/g, ''))
    expect(seen.size).toBe(32)
  })

  it('normalise case, dashes, spaces and look-alike letters', () => {
    const code = generateRecoveryCode()
    const canonical = code.replace(/-/g, '')
    expect(normalizeRecoveryCode(code)).toBe(canonical)
    expect(normalizeRecoveryCode(code.toUpperCase())).toBe(canonical)
    expect(normalizeRecoveryCode(` ${code.replace(/-/g, ' ')} `)).toBe(canonical)
    expect(normalizeRecoveryCode('o00000-i11111-l22222-333333')).toBe('000000111111122222333333')
  })

  it('refuse what cannot be a code', () => {
    for (const input of ['', '123456', 'u00000-000000-000000-000000', '000000-000000-000000-00000', '000000-000000-000000-0000000', 'x'.repeat(500)]) {
      expect(normalizeRecoveryCode(input)).toBeNull()
    }
  })

  it('hash to 32 bytes, the same for every spelling of one code', () => {
    const code = generateRecoveryCode()
    const a = hashRecoveryCode(normalizeRecoveryCode(code)!)
    const b = hashRecoveryCode(normalizeRecoveryCode(code.toUpperCase().replace(/-/g, ' '))!)
    expect(a).toHaveLength(32)
    expect(a.equals(b)).toBe(true)
    expect(a.toString('hex')).not.toContain(code.replace(/-/g, ''))
  })
})
