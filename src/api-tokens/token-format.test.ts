import { crc32 } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../config/config.js'
import { validate } from '../../tools/init-fork/init-fork.js'
import { API_TOKEN_ANY_PREFIX_SOURCE, API_TOKEN_PATTERN, apiTokenPattern, generateApiToken, isApiTokenPrefix, parseApiToken } from './token-format.js'

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

describe('the prefix rule', () => {
  const SAMPLES = ['sss', 'acme', 'a1', 'abcdefghij', 'S', 'a', '1ab', 'abcdefghijk', 'a_b', 'a-b', 'Acme', '']
  const PROD = {
    NODE_ENV: 'production',
    DATA_KEYS: `k1:${Buffer.alloc(32, 7).toString('base64url')}`,
    TOKEN_HMAC_KEYS: `k2:${Buffer.alloc(32, 9).toString('base64url')}`,
    DATABASE_URL: 'postgres://app@db/app',
    PUBLIC_ORIGIN: 'https://app.example.com',
  }

  it('accepts 2-10 lowercase letters or digits starting with a letter, and nothing else', () => {
    expect(SAMPLES.filter(isApiTokenPrefix)).toEqual(['sss', 'acme', 'a1', 'abcdefghij'])
  })

  it("is the rule init-fork applies to --token-prefix, which also refuses the starter's own", () => {
    const fork = { name: 'acme', appName: 'Acme', origin: 'https://app.acme.com', contact: 'security@acme.com' }
    for (const prefix of SAMPLES) expect(validate({ ...fork, tokenPrefix: prefix }).length === 0, prefix).toBe(isApiTokenPrefix(prefix) && prefix !== 'sss')
  })

  // src/config sits below src/api-tokens (it cannot import this module), so it keeps a copy; this keeps them equal.
  it('is the rule the config applies to API_TOKEN_PREFIX', async () => {
    // An empty variable counts as unset there (the default prefix).
    for (const prefix of SAMPLES.filter((p) => p !== '')) {
      const accepted = await loadConfig({ ...PROD, API_TOKEN_PREFIX: prefix }).then(
        () => true,
        () => false,
      )
      expect(accepted, prefix).toBe(isApiTokenPrefix(prefix))
    }
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
