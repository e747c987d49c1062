// What one process remembers of the refusals its counters gave (docs/decisions/0096): the keys
// refused within the last few seconds, so the attempts after a refusal are refused again without a
// round trip to the store. Only ever a refusal is remembered: nothing is let through on memory.
// Bounded in time (a limit lifted elsewhere is seen within `memoryMs`) and in size (past `maxKeys`
// the oldest is forgotten, which costs one round trip, never a wrong answer).

export class RefusalMemory {
  /** Per key: when the refusal was seen, when the memory of it ends, and when the refusal itself ends (for Retry-After). */
  private readonly until = new Map<string, { seenAt: number; forgetAt: number; endsAt: number }>()

  constructor(
    private readonly memoryMs: number,
    private readonly maxKeys: number,
  ) {}

  /**
   * When `key` was refused within the memory: the milliseconds until the refusal itself ends (the
   * limit's window; Infinity when only a reset ends it). Else undefined: ask the store.
   */
  refusedFor(key: string, nowMs: number): number | undefined {
    const entry = this.until.get(key)
    if (entry === undefined) return undefined
    // A clock set back (NTP, an operator) must not stretch the memory: it is forgotten instead.
    if (entry.forgetAt <= nowMs || nowMs < entry.seenAt) {
      this.until.delete(key)
      return undefined
    }
    return entry.endsAt - nowMs
  }

  /** Remembers a refusal of `key` seen at `nowMs` that lasts until `endsAtMs`: for `memoryMs`, or until it ends if sooner. */
  remember(key: string, nowMs: number, endsAtMs: number): void {
    this.until.delete(key)
    if (this.until.size >= this.maxKeys) {
      const oldest = this.until.keys().next()
      if (oldest.done !== true) this.until.delete(oldest.value)
    }
    this.until.set(key, { seenAt: nowMs, forgetAt: Math.min(endsAtMs, nowMs + this.memoryMs), endsAt: endsAtMs })
  }

  /** Forgets `keys` (a success gave an attempt back, a reset cleared a streak). */
  forget(keys: readonly string[]): void {
    for (const key of keys) this.until.delete(key)
  }

  get size(): number {
    return this.until.size
  }
}
