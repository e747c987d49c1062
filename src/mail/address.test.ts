import { describe, expect, it } from 'vitest'
import { emailKey, normalizeEmail } from './address.js'

describe('email addresses', () => {
  it('stores the NFKC form, trimmed, with the case as typed', () => {
    expect(normalizeEmail('  Ａlice@Example.com \n')).toBe('Alice@Example.com')
  })

  it('compares by one key for every spelling of an address', () => {
    expect(emailKey(' ALICE@example.COM')).toBe('alice@example.com')
    expect(emailKey('Ａlice@example.com')).toBe(emailKey('alice@EXAMPLE.com'))
    expect(emailKey('alice@example.com')).not.toBe(emailKey('alice2@example.com'))
  })
})
