// Tamper evidence for the audit trail: every event's hash is SHA-256 over the previous event's
// hash and this event's canonical content. Inserts take a transaction-scoped advisory lock so the
// chain never forks; verifyChain() walks it in id order and names the first row that breaks it.
// Anyone with owner rights can still rewrite rows, but not without breaking every later hash:
// keep a copy of the latest hash elsewhere (logs, a ticket) to pin the whole history.
import { sql } from 'kysely'
import { sha256 } from '../crypto/hash.js'
import type { Db } from '../db/db.js'

// An arbitrary constant naming the advisory lock that serialises chain appends.
const CHAIN_LOCK_KEY = 7_342_001
const GENESIS = Buffer.alloc(32)

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

/** The hash of the organization's latest event (ORG_GENESIS when none); call after lockChainHead. */
export async function orgChainHead(trx: Db, orgId: string): Promise<Buffer> {
  const last = await trx.selectFrom('security_events').select('hash').where('org_id', '=', orgId).orderBy('id', 'desc').limit(1).executeTakeFirst()
  return last?.hash ?? ORG_GENESIS
}

/** Locks the chain for this transaction and returns the hash to link to. Call inside a transaction. */
export async function lockChainHead(trx: Db): Promise<Buffer> {
  await sql`select pg_advisory_xact_lock(${CHAIN_LOCK_KEY})`.execute(trx)
  const last = await trx.selectFrom('security_events').select('hash').orderBy('id', 'desc').limit(1).executeTakeFirst()
  return last?.hash ?? GENESIS
}

export type ChainReport = { ok: true; events: number } | { ok: false; events: number; brokenAtId: number }

/** Re-computes every hash in id order. */
export async function verifyChain(db: Db, batchSize = 1000): Promise<ChainReport> {
  let prev: Buffer = GENESIS
  let lastId = 0
  let events = 0
  for (;;) {
    const rows = await db
      .selectFrom('security_events')
      .select(['id', 'account_id', 'type', 'occurred_at', 'ip', 'user_agent', sql<string>`details::text`.as('details'), 'prev_hash', 'hash', 'org_id', 'org_prev_hash'])
      .where('id', '>', lastId)
      .orderBy('id')
      .limit(batchSize)
      .execute()
    if (rows.length === 0) return { ok: true, events }
    for (const row of rows) {
      const expected = eventHash(prev, row)
      if (row.prev_hash === null || row.hash === null || !row.prev_hash.equals(prev) || !row.hash.equals(expected)) {
        return { ok: false, events, brokenAtId: row.id }
      }
      prev = row.hash
      lastId = row.id
      events += 1
    }
  }
}
