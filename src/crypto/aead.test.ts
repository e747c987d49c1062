import { describe, expect, it } from 'vitest'
import { parseKeyRing } from './keyring.js'
import { needsReseal, open, seal, sealedKeyId, UnsealError } from './aead.js'

const keyA = `a:${Buffer.alloc(32, 0xa1).toString('base64url')}`
const keyB = `b:${Buffer.alloc(32, 0xb2).toString('base64url')}`
const ringA = parseKeyRing('TEST', keyA)
const ringBA = parseKeyRing('TEST', `${keyB},${keyA}`)
const ringB = parseKeyRing('TEST', keyB)

function header(jwe: string): Record<string, unknown> {
  return <Record<string, unknown>>JSON.parse(Buffer.from(jwe.split('.')[0]!, 'base64url').toString('utf8'))
}

describe('seal / open', () => {
  it('round-trips a value as a compact JWE naming the active key and the context', async () => {
    const jwe = await seal(ringA, 'JBSWY3DPEHPK3PXP', 'totp:acct-1')
    expect(jwe.split('.')).toHaveLength(5)
    expect(jwe).not.toContain('JBSWY3DPEHPK3PXP')
    expect(header(jwe)).toEqual({ alg: 'dir', enc: 'A256GCM', kid: 'a', ctx: 'totp:acct-1' })
    expect((await open(ringA, jwe, 'totp:acct-1')).toString('utf8')).toBe('JBSWY3DPEHPK3PXP')
  })

  it('round-trips binary plaintext', async () => {
    const bytes = Buffer.from([0, 1, 2, 255, 254])
    expect(await open(ringA, await seal(ringA, bytes, 'x'), 'x')).toEqual(bytes)
  })

  it('uses a fresh IV each time', async () => {
    expect(await seal(ringA, 'same', 'c')).not.toBe(await seal(ringA, 'same', 'c'))
  })

  it('refuses a value opened under another context (a ciphertext moved to another row)', async () => {
    const jwe = await seal(ringA, 'secret', 'totp:acct-1')
    await expect(open(ringA, jwe, 'totp:acct-2')).rejects.toBeInstanceOf(UnsealError)
  })

  it('refuses a header rewritten to claim the other context (the header is authenticated)', async () => {
    const jwe = await seal(ringA, 'secret', 'totp:acct-1')
    const parts = jwe.split('.')
    const forged = Buffer.from(JSON.stringify({ ...header(jwe), ctx: 'totp:acct-2' })).toString('base64url')
    await expect(open(ringA, [forged, ...parts.slice(1)].join('.'), 'totp:acct-2')).rejects.toBeInstanceOf(UnsealError)
  })

  it('refuses a tampered ciphertext or tag', async () => {
    const jwe = await seal(ringA, 'secret value', 'c')
    const parts = jwe.split('.')
    for (const index of [3, 4]) {
      const bytes = Buffer.from(parts[index]!, 'base64url')
      bytes[0] = bytes[0]! ^ 0x01
      const tampered = parts.map((p, i) => (i === index ? bytes.toString('base64url') : p)).join('.')
      await expect(open(ringA, tampered, 'c')).rejects.toBeInstanceOf(UnsealError)
    }
  })

  it('refuses garbage', async () => {
    await expect(open(ringA, 'not.a.jwe', 'c')).rejects.toBeInstanceOf(UnsealError)
    await expect(open(ringA, '', 'c')).rejects.toBeInstanceOf(UnsealError)
  })

  it('still opens a value sealed under an older key of the ring', async () => {
    const jwe = await seal(ringA, 'old', 'c')
    expect((await open(ringBA, jwe, 'c')).toString()).toBe('old')
  })

  it('refuses a value whose key id the ring does not hold', async () => {
    const jwe = await seal(ringA, 'old', 'c')
    await expect(open(ringB, jwe, 'c')).rejects.toThrow(/unknown key id/)
  })

  it('refuses a value whose kid was rewritten to a key it was not sealed with', async () => {
    const jwe = await seal(ringA, 'old', 'c')
    const parts = jwe.split('.')
    const forged = Buffer.from(JSON.stringify({ ...header(jwe), kid: 'b' })).toString('base64url')
    await expect(open(ringBA, [forged, ...parts.slice(1)].join('.'), 'c')).rejects.toBeInstanceOf(UnsealError)
  })

  it('never puts key material or plaintext in the error message', async () => {
    const jwe = await seal(ringA, 'topsecret', 'c')
    const err = (await open(ringA, jwe, 'd').catch((e: unknown) => e)) as Error
    expect(err.message).not.toMatch(/topsecret|obQ|a1a1/)
  })
})

describe('needsReseal', () => {
  it('is true only for values under a key other than the active one', async () => {
    const old = await seal(ringA, 'v', 'c')
    const fresh = await seal(ringBA, 'v', 'c')
    expect(sealedKeyId(old)).toBe('a')
    expect(needsReseal(ringBA, old)).toBe(true)
    expect(needsReseal(ringBA, fresh)).toBe(false)
    expect(needsReseal(ringA, old)).toBe(false)
    expect(needsReseal(ringA, 'garbage')).toBe(true)
  })
})
