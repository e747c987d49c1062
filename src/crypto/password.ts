// argon2id password hashing (OWASP ASVS 5.0 V11.4.2, RFC 9106). PHC strings carry their own
// parameters, so a hash made under older parameters is recognised and re-hashed at next login.
// argon2 runs on libuv's thread pool, off the event loop; PasswordHasher bounds how many run at
// once and how many may wait, so a login flood queues or gets 503, never starves other routes.
import argon2 from 'argon2'
import { randomToken } from './random.js'

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

const TAKE: unique symbol = Symbol('take the held place')

/** A place in the hashing queue, held from the start of a login to its verification (PasswordHasher.holdPlace). */
export interface HeldPlace {
  /** Gives the place back unused; does nothing once verify took it or after a first release. */
  release(): void
  /** True the first time (the place is then the verification's); only PasswordHasher calls it. */
  readonly [TAKE]: () => boolean
}

export class PasswordHasher {
  private running = 0
  private readonly waiting: (() => void)[] = []
  /** Places held by requests that will verify once their database work is done (holdPlace). */
  private held = 0
  /** The dummy hash, once made (dummyHash). */
  private dummy: Promise<string> | undefined

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

  /** Throws HasherBusyError (503 + Retry-After) when saturated. */
  assertCapacity(): void {
    if (this.saturated) throw new HasherBusyError()
  }

  /**
   * Holds a place in the queue for a verification the caller will ask for after other work (a
   * login's counters and account lookup), or throws HasherBusyError when none is left: a burst larger
   * than the queue gets 503 at once, before any of it reaches the database or counts against an
   * account. Pass the place to `verify` (which is then never refused for capacity), and release it on
   * every other way out.
   */
  holdPlace(): HeldPlace {
    this.assertCapacity()
    this.held += 1
    let held = true
    const take = (): boolean => {
      if (!held) return false
      held = false
      this.held -= 1
      return true
    }
    return { release: () => void take(), [TAKE]: take }
  }

  /** `fromHeldPlace`: the caller's place was counted until now, so capacity is not checked again. */
  private async withSlot<T>(work: () => Promise<T>, fromHeldPlace = false): Promise<T> {
    if (!fromHeldPlace && this.saturated) throw new HasherBusyError()
    if (this.running >= this.maxConcurrent) await new Promise<void>((resolve) => this.waiting.push(resolve))
    else this.running += 1
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
    return this.withSlot(() => this.argon2Hash(password))
  }

  private argon2Hash(password: string): Promise<string> {
    return argon2.hash(password, {
      type: argon2.argon2id,
      memoryCost: this.params.memoryKiB,
      timeCost: this.params.iterations,
      parallelism: this.params.parallelism,
    })
  }

  /**
   * The hash, with the live parameters, of a random secret nobody knows: verified in place of a
   * missing account's, so an unknown email costs the same work as a wrong password. Made once per
   * hasher (before `/readyz`, src/warm-up.ts), outside the queue: a login holding its place must
   * not be refused for it. A failure is not kept: the next call tries again.
   */
  dummyHash(): Promise<string> {
    this.dummy ??= this.argon2Hash(randomToken(32)).catch((err: unknown) => {
      this.dummy = undefined
      throw err
    })
    return this.dummy
  }

  /**
   * True when `password` matches; false for a mismatch or an unreadable hash. With the caller's
   * held place, the place becomes the slot in one synchronous step, so nothing can take it between.
   */
  async verify(hash: string, password: string, place?: HeldPlace): Promise<boolean> {
    return this.withSlot(() => this.check(hash, password), place?.[TAKE]() === true)
  }

  private async check(hash: string, password: string): Promise<boolean> {
    try {
      return await argon2.verify(hash, password)
    } catch {
      return false
    }
  }

  /** True when `hash` was made with other parameters than the configured ones. */
  needsRehash(hash: string): boolean {
    return argon2.needsRehash(hash, { memoryCost: this.params.memoryKiB, timeCost: this.params.iterations, parallelism: this.params.parallelism })
  }
}
