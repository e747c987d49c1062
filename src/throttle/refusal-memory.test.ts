import { describe, expect, it } from 'vitest'
import { RefusalMemory } from './refusal-memory.js'

describe('refusal memory', () => {
  it('remembers a refusal for its memory or until the limit ends, whichever is first, and tells when the limit ends', () => {
    const memory = new RefusalMemory(5_000, 10)
    memory.remember('window-ends-later', 1_000, 900_000)
    memory.remember('window-ends-sooner', 1_000, 3_000)
    expect(memory.refusedFor('window-ends-later', 1_000)).toBe(899_000)
    expect(memory.refusedFor('window-ends-sooner', 2_000)).toBe(1_000)
    expect(memory.refusedFor('window-ends-sooner', 3_000)).toBeUndefined()
    expect(memory.refusedFor('window-ends-later', 5_999)).toBe(894_001)
    expect(memory.refusedFor('window-ends-later', 6_000)).toBeUndefined()
    expect(memory.refusedFor('never-refused', 1_000)).toBeUndefined()
    // Expired entries are dropped as they are read.
    expect(memory.size).toBe(0)
  })

  it('forgets a refusal when the clock goes back, rather than remembering it longer', () => {
    const memory = new RefusalMemory(5_000, 10)
    memory.remember('k', 10_000, Number.POSITIVE_INFINITY)
    expect(memory.refusedFor('k', 9_999)).toBeUndefined()
    expect(memory.refusedFor('k', 10_001)).toBeUndefined()
  })

  it('forgets what it is told to forget', () => {
    const memory = new RefusalMemory(5_000, 10)
    memory.remember('a', 0, Number.POSITIVE_INFINITY)
    memory.remember('b', 0, Number.POSITIVE_INFINITY)
    memory.forget(['a'])
    expect([memory.refusedFor('a', 1), memory.refusedFor('b', 1)]).toEqual([undefined, Number.POSITIVE_INFINITY])
  })

  it('holds at most maxKeys: a flood of distinct keys forgets the oldest, never grows without bound', () => {
    const memory = new RefusalMemory(5_000, 3)
    for (const key of ['k1', 'k2', 'k3', 'k4', 'k5']) memory.remember(key, 0, Number.POSITIVE_INFINITY)
    expect(memory.size).toBe(3)
    expect(['k1', 'k2', 'k3', 'k4', 'k5'].map((k) => memory.refusedFor(k, 1) !== undefined)).toEqual([false, false, true, true, true])
    // Remembering a key again makes it the newest.
    memory.remember('k3', 1, Number.POSITIVE_INFINITY)
    memory.remember('k6', 1, Number.POSITIVE_INFINITY)
    expect(['k3', 'k4', 'k5', 'k6'].map((k) => memory.refusedFor(k, 2) !== undefined)).toEqual([true, false, true, true])
  })
})
