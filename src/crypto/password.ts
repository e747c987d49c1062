// argon2id password hashing (OWASP ASVS 5.0 V11.4.2, RFC 9106). PHC strings carry their own
// parameters, so a hash made under older parameters is recognised and re-hashed at next login.
// argon2 runs on libuv's thread pool, off the event loop; PasswordHasher bounds how many run at
// once and how many may wait, so a login flood queues or gets 503, never starves other routes.
import argon2 from 'argon2'

export interface Argon2Params {
  readonly memoryKiB: number
  readonly iterations: number
  readonly parallelism: number
}

export class HasherBusyError extends Error {
  constructor() {
    // Load shedding, not a fault: thrown for every login past the queue in a flood, so it skips the
    // stack trace (capturing one cost more than the rest of the 503; docs/benchmarks.md).
    const stackTraceLimit = Error.stackTraceLimit
    Error.stackTraceLimit = 0
    super('password hasher queue is full')
    Error.stackTraceLimit = stackTraceLimit
    this.name = 'HasherBusyError'
  }
}

export class PasswordHasher {
  private running = 0
  private readonly waiting: (() => void)[] = []

  constructor(
    private readonly params: Argon2Params,
    private readonly maxConcurrent: number,
    private readonly maxQueued: number,
  ) {}

  /**
   * True when every lane is busy and the queue is full: a new hash would be refused. Callers check
   * it before any other work so a flood past the queue gets 503 at once, without database writes.
   */
  get saturated(): boolean {
    // Waiters exist only while every lane runs, so without held places this is "lanes busy and queue full".
    return this.running + this.waiting.length + this.held >= this.maxConcurrent + this.maxQueued
  }

  /** Places held by requests that will hash once their database work is done (holdPlace). */
  private held = 0

  /**
   * Holds a place in the queue for a hash the caller will ask for after other work (a login's
   * counters and account lookup), or throws HasherBusyError when none is left: a burst larger than
   * the queue gets 503 at once, before any of it reaches the database or counts against an account.
   * Call the returned function to give the place back, just before hashing (the hash then queues on
   * its own) and on every other way out; calls after the first do nothing.
   */
  holdPlace(): () => void {
    this.assertCapacity()
    this.held += 1
    let given = false
    return () => {
      if (given) return
      given = true
      this.held -= 1
    }
  }

  /** Throws HasherBusyError (503 + Retry-After) when saturated. */
  assertCapacity(): void {
    if (this.saturated) throw new HasherBusyError()
  }

  private async withSlot<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.maxConcurrent) {
      if (this.waiting.length >= this.maxQueued) throw new HasherBusyError()
      await new Promise<void>((resolve) => this.waiting.push(resolve))
    } else {
      this.running += 1
    }
    try {
      return await work()
    } finally {
      const next = this.waiting.shift()
      if (next)
        next() // hand the slot straight to the next waiter
      else this.running -= 1
    }
  }

  /** A PHC-format argon2id hash with a fresh 16-byte salt from the CSPRNG (argon2's own). */
  async hash(password: string): Promise<string> {
    return this.withSlot(() =>
      argon2.hash(password, {
        type: argon2.argon2id,
        memoryCost: this.params.memoryKiB,
        timeCost: this.params.iterations,
        parallelism: this.params.parallelism,
      }),
    )
  }

  /** True when `password` matches; false for a mismatch or an unreadable hash. */
  async verify(hash: string, password: string): Promise<boolean> {
    return this.withSlot(async () => {
      try {
        return await argon2.verify(hash, password)
      } catch {
        return false
      }
    })
  }

  /** True when `hash` was made with other parameters than the configured ones. */
  needsRehash(hash: string): boolean {
    return argon2.needsRehash(hash, { memoryCost: this.params.memoryKiB, timeCost: this.params.iterations, parallelism: this.params.parallelism })
  }
}
