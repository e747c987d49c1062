// How many argon2 hashes run at once by default (PASSWORD_HASH_CONCURRENCY). argon2 runs on libuv's
// threads, off the event loop, but each lane keeps a core busy for the whole hash: with as many
// lanes as cores, a login flood takes every core and signed-in requests wait for CPU behind it
// (docs/benchmarks.md). One core is left to the event loop; lanes also stay below libuv's default
// pool of 4 threads, so file and DNS work (log writes among them) always finds a thread.
// docs/decisions/0090.
import { availableParallelism } from 'node:os'

/** libuv's default thread pool (UV_THREADPOOL_SIZE unset), less one thread for everything else. */
const MAX_DEFAULT_LANES = 3

/** cores - 1, at least 1 and at most 3. */
export function defaultHashLanes(cores = availableParallelism()): number {
  return Math.max(1, Math.min(cores - 1, MAX_DEFAULT_LANES))
}
