// One holder at a time across every instance, for background jobs: a transaction-scoped advisory
// lock, so it is released by the commit, the rollback or a lost connection, never left behind.
import { sql } from 'kysely'
import type { Db, Trx } from './db.js'

// Advisory-lock keys, one per job; arbitrary constants distinct from the audit chain's.
const JOB_KEYS = { housekeeping: 7_342_101 } as const

/** Runs `work` in a transaction holding the job's lock; false (and no work) when another holds it. */
export async function tryFleetLock(db: Db, job: keyof typeof JOB_KEYS, work: (trx: Trx) => Promise<void>): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const { rows } = await sql<{ locked: boolean }>`select pg_try_advisory_xact_lock(${JOB_KEYS[job]}) as locked`.execute(trx)
    if (rows[0]?.locked !== true) return false
    await work(trx)
    return true
  })
}
