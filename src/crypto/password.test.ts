import { describe, expect, it } from 'vitest'
import { HasherBusyError, PasswordHasher } from './password.js'

const params = { memoryKiB: 19_456, iterations: 2, parallelism: 1 }

describe('PasswordHasher (argon2id)', () => {
  it('makes PHC argon2id strings with the configured parameters and a fresh salt', async () => {
    const hasher = new PasswordHasher(params, 2, 10)
    const a = await hasher.hash('correct horse battery staple')
    const b = await hasher.hash('correct horse battery staple')
    expect(a).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/)
    expect(a).not.toBe(b)
    expect(await hasher.verify(a, 'correct horse battery staple')).toBe(true)
    expect(await hasher.verify(a, 'correct horse battery stapl')).toBe(false)
    expect(await hasher.verify('not a hash', 'x')).toBe(false)
  })

  it('flags a hash made with weaker parameters for re-hashing', async () => {
    const old = await new PasswordHasher(params, 1, 1).hash('pw')
    expect(new PasswordHasher(params, 1, 1).needsRehash(old)).toBe(false)
    expect(new PasswordHasher({ ...params, memoryKiB: 65_536 }, 1, 1).needsRehash(old)).toBe(true)
  })

  it('bounds concurrency and refuses work beyond the queue instead of piling it up', async () => {
    const hasher = new PasswordHasher(params, 1, 2)
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => hasher.hash('pw')))
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3) // 1 running + 2 queued
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')
    expect(refused).toHaveLength(2)
    expect(refused[0]?.reason).toBeInstanceOf(HasherBusyError)
    // The queue drains: new work is accepted again.
    await expect(hasher.hash('pw')).resolves.toMatch(/^\$argon2id/)
  })

  it('counts held places against the queue until they are given back, once each', () => {
    const hasher = new PasswordHasher(params, 1, 2)
    const places = [hasher.holdPlace(), hasher.holdPlace(), hasher.holdPlace()]
    expect(hasher.saturated).toBe(true)
    expect(() => hasher.holdPlace()).toThrow(HasherBusyError)
    const first = places[0]!
    first.release()
    first.release() // a second release gives back nothing more
    expect(hasher.saturated).toBe(false)
    hasher.holdPlace()
    expect(hasher.saturated).toBe(true)
  })

  it('keeps a held place for its verification: work that comes later is refused, never the holder', async () => {
    const hasher = new PasswordHasher(params, 1, 2)
    const stored = await hasher.hash('pw')
    const places = [hasher.holdPlace(), hasher.holdPlace(), hasher.holdPlace()]
    // A hash asked for by someone without a place finds the queue full (the places count).
    await expect(hasher.hash('other')).rejects.toBeInstanceOf(HasherBusyError)
    // Every holder verifies, though one lane and two queue places are all there is.
    expect(await Promise.all(places.map((p) => hasher.verify(stored, 'pw', p)))).toEqual([true, true, true])
    expect(hasher.saturated).toBe(false)
  })

  it('makes the dummy hash once, outside the queue, so a login holding its place is not refused for it', async () => {
    const hasher = new PasswordHasher(params, 1, 2)
    const places = [hasher.holdPlace(), hasher.holdPlace(), hasher.holdPlace()]
    expect(hasher.saturated).toBe(true)
    const dummy = await hasher.dummyHash()
    expect(dummy).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/)
    expect(await hasher.dummyHash()).toBe(dummy)
    expect(await hasher.verify(dummy, 'any password at all', places[0])).toBe(false)
    for (const p of places) p.release()
  })
})
