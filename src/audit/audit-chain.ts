// Tamper evidence for the audit trail: every event's hash is SHA-256 over the previous event's
// hash (in its chain) and this event's canonical content. There are CHAIN_COUNT chains: an
// account's events always go to the same one (its id picks it), events without an account to a
// random one. An append takes that chain's transaction-scoped advisory lock, so no chain forks and
// appends to different chains never wait for each other (one global lock capped the whole fleet
// at ~100 events/s: docs/decisions/0069). verifyChain() walks every row in id order, following
// each chain, and names the first row that breaks one. Rows from before the chains are chain 0.
// Anyone with owner rights can still rewrite rows, but not without breaking every later hash:
// keep a copy of the latest hash elsewhere (logs, a ticket) to pin the whole history.
import { sql } from 'kysely'
import { sha256 } from '../crypto/hash.js'
import { randomIntBetween } from '../crypto/random.js'
import type { Db } from '../db/db.js'

// An arbitrary constant naming the advisory locks that serialise appends, one per chain (the
// two-key form of pg_advisory_xact_lock: this key, the chain number).
const CHAIN_LOCK_KEY = 7_342_001
const GENESIS = Buffer.alloc(32)

/** What a chain's first row links to: distinct per chain, so a row cannot be moved to another unseen. */
function genesisOf(chain: number): Buffer {
  return chain === 0 ? GENESIS : sha256(`security_events chain ${chain}`)
}
/** How many chains appends are spread over; raising it later is safe (each row names its chain). */
export const CHAIN_COUNT = 16

/**
 * The chain an event links into: fixed per organization for organization events (so their
 * organization chain is read and extended under one lock), else fixed per account (its events stay
 * in order), random without either.
 */
export function chainFor(accountId: string | null, orgId?: string | null): number {
  const key = orgId ?? accountId
  if (key === null) return randomIntBetween(0, CHAIN_COUNT)
  return (sha256(key)[0] ?? 0) % CHAIN_COUNT
}

export interface ChainedFields {
  account_id: string | null
  type: string
  occurred_at: Date
  ip: string | null
  user_agent: string | null
  details: string
  /** Organization events (src/orgs) also chain to the organization's previous event. */
  org_id?: string | null
  org_prev_hash?: Buffer | null
}

export function eventHash(prev: Buffer, event: ChainedFields): Buffer {
  const fields: unknown[] = [prev.toString('hex'), event.account_id, event.type, event.occurred_at.toISOString(), event.ip, event.user_agent, event.details]
  // Events without an organization keep the original canonical form, so older rows still verify.
  if (event.org_id != null) fields.push(event.org_id, (event.org_prev_hash ?? GENESIS).toString('hex'))
  return sha256(JSON.stringify(fields))
}

/** The hash an organization's first event links to. */
export const ORG_GENESIS = Buffer.alloc(32)

/** The hash of the organization's latest event (ORG_GENESIS when none); call after lockChainHead(chainFor(_, orgId)). */
export async function orgChainHead(trx: Db, orgId: string): Promise<Buffer> {
  const last = await trx.selectFrom('security_events').select('hash').where('org_id', '=', orgId).orderBy('id', 'desc').limit(1).executeTakeFirst()
  return last?.hash ?? ORG_GENESIS
}

/** Locks `chain` for this transaction and returns the hash to link to. Call inside a transaction. */
export async function lockChainHead(trx: Db, chain: number): Promise<Buffer> {
  await sql`select pg_advisory_xact_lock(${CHAIN_LOCK_KEY}::int, ${chain}::int)`.execute(trx)
  const last = await trx.selectFrom('security_events').select('hash').where('chain', '=', chain).orderBy('id', 'desc').limit(1).executeTakeFirst()
  return last?.hash ?? genesisOf(chain)
}

export type ChainReport = { ok: true; events: number } | { ok: false; events: number; brokenAtId: number }

/** Re-computes every hash in id order, each row against the previous row of its own chain. */
export async function verifyChain(db: Db, batchSize = 1000): Promise<ChainReport> {
  const heads = new Map<number, Buffer>()
  let lastId = 0
  let events = 0
  for (;;) {
    const rows = await db
      .selectFrom('security_events')
      .select([
        'id',
        'chain',
        'account_id',
        'type',
        'occurred_at',
        'ip',
        'user_agent',
        sql<string>`details::text`.as('details'),
        'prev_hash',
        'hash',
        'org_id',
        'org_prev_hash',
      ])
      .where('id', '>', lastId)
      .orderBy('id')
      .limit(batchSize)
      .execute()
    if (rows.length === 0) return { ok: true, events }
    for (const row of rows) {
      const prev = heads.get(row.chain) ?? genesisOf(row.chain)
      const expected = eventHash(prev, row)
      if (row.prev_hash === null || row.hash === null || !row.prev_hash.equals(prev) || !row.hash.equals(expected)) {
        return { ok: false, events, brokenAtId: row.id }
      }
      heads.set(row.chain, row.hash)
      lastId = row.id
      events += 1
    }
  }
}
