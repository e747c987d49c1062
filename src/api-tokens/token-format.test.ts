import { crc32 } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { API_TOKEN_ANY_PREFIX_SOURCE, API_TOKEN_PATTERN, apiTokenPattern, generateApiToken, parseApiToken } from './token-format.js'

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'

function changeCharAt(token: string, index: number): string {
  const current = token.charAt(index)
  const replacement = ALPHABET.charAt((ALPHABET.indexOf(current) + 1) % ALPHABET.length)
  return token.slice(0, index) + replacement + token.slice(index + 1)
}

describe('generateApiToken', () => {
  it('makes <prefix>_ + 43 body + 6 checksum base62 characters', () => {
    const token = generateApiToken('sss')
    expect(token).toMatch(API_TOKEN_PATTERN)
    expect(token).toHaveLength('sss_'.length + 49)
    expect(token).toMatch(apiTokenPattern('sss'))
    expect(token).toMatch(new RegExp(`^${API_TOKEN_ANY_PREFIX_SOURCE}$`))
  })

  it('never repeats and keeps the fixed width (left-padded)', () => {
    const tokens = new Set(Array.from({ length: 2000 }, () => generateApiToken('acme')))
    expect(tokens.size).toBe(2000)
    for (const token of tokens) expect(token).toMatch(apiTokenPattern('acme'))
  })

  it('uses a CRC32 of the body as the checksum', () => {
    const token = generateApiToken('sss')
    const head = 'sss_'.length
    const body = token.slice(head, head + 43)
    let value = BigInt(crc32(body) >>> 0)
    let expected = ''
    while (value > 0n) {
      expected = ALPHABET.charAt(Number(value % 62n)) + expected
      value /= 62n
    }
    expect(token.slice(head + 43)).toBe(expected.padStart(6, '0'))
  })

  it('refuses a prefix the config would refuse', () => {
    expect(() => generateApiToken('S')).toThrow()
    expect(() => apiTokenPattern('a.*')).toThrow()
  })
})

describe('parseApiToken', () => {
  it('accepts a generated token and returns its body', () => {
    const token = generateApiToken('sss')
    expect(parseApiToken('sss', token)).toEqual({ ok: true, body: token.slice('sss_'.length, 'sss_'.length + 43) })
  })

  it('refuses a token with any one character changed', () => {
    const token = generateApiToken('sss')
    for (let i = 4; i < token.length; i++) {
      expect(parseApiToken('sss', changeCharAt(token, i))).toEqual({ ok: false })
    }
  })

  it('refuses a wrong prefix, a wrong length and a foreign charset', () => {
    const token = generateApiToken('sss')
    expect(parseApiToken('abc', token)).toEqual({ ok: false })
    expect(parseApiToken('sss', `x${token.slice(1)}`)).toEqual({ ok: false })
    expect(parseApiToken('sss', token.slice(0, -1))).toEqual({ ok: false })
    expect(parseApiToken('sss', `${token}0`)).toEqual({ ok: false })
    expect(parseApiToken('sss', `${token.slice(0, 10)}-${token.slice(11)}`)).toEqual({ ok: false })
    expect(parseApiToken('sss', '')).toEqual({ ok: false })
  })
})
