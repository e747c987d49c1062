// An organization's slice of the audit trail: paged reads for its admins, and a streamed export
// that a third party can verify offline (scripts/verify-audit-export.ts). Every event of the
// organization carries org_prev_hash, the hash of the organization's previous event, so the export
// is a chain of its own: a dropped, altered or reordered line breaks it, and each line's hash is the
// one stored in the global chain (npm run audit:verify checks that side).
import { type Selectable, sql } from 'kysely'
import { constantTimeEqual } from '../crypto/hash.js'
import type { Db } from '../db/db.js'
import type { DB } from '../db/schema.js'
import { type ChainedFields, chainFor, eventHash, lockChainHead, ORG_GENESIS } from './audit-chain.js'

/**
 * An event with its target's id (from details). Ids only: addresses belong to src/accounts, which
 * the caller (src/orgs/org-audit.service.ts) asks for them.
 */
export type OrgEventRow = Pick<Selectable<DB['security_events']>, 'id' | 'type' | 'occurred_at' | 'ip' | 'user_agent' | 'account_id'> & OrgEventTargets

interface OrgEventTargets {
  target_account_id: string | null
  target_invitation_id: string | null
  target_project_id: string | null
}

/** The organization's events, newest first, `limit` of them before event id `beforeId`. */
export async function listOrgEvents(db: Db, orgId: string, opts: { limit: number; beforeId: number | null }): Promise<OrgEventRow[]> {
  let query = db
    .selectFrom('security_events')
    .select([
      'id',
      'type',
      'occurred_at',
      'ip',
      'user_agent',
      'account_id',
      sql<string | null>`details->>'targetAccountId'`.as('target_account_id'),
      sql<string | null>`details->>'targetInvitationId'`.as('target_invitation_id'),
      sql<string | null>`details->>'targetProjectId'`.as('target_project_id'),
    ])
    .where('org_id', '=', orgId)
  if (opts.beforeId !== null) query = query.where('id', '<', opts.beforeId)
  return query.orderBy('id', 'desc').limit(opts.limit).execute()
}

/**
 * Takes, lowest first, the chain locks that events of these organizations and of this account will
 * need, for a transaction that appends to several chains (account deletion: one event per
 * organization, then the account's own). recordEvent takes each again (the locks are re-entrant);
 * taken in the order the events come, two such transactions could each hold a chain the other waits for.
 */
export async function lockChainsInOrder(trx: Db, of: { orgIds: readonly string[]; accountId: string }): Promise<void> {
  const chains = new Set([...of.orgIds.map((orgId) => chainFor(null, orgId)), chainFor(of.accountId)])
  for (const chain of [...chains].sort((a, b) => a - b)) await lockChainHead(trx, chain)
}

/** One line of an export: the event as hashed, plus both chain links. */
export interface ExportedEvent {
  id: number
  type: string
  at: string
  accountId: string | null
  orgId: string
  ip: string | null
  userAgent: string | null
  /** jsonb text exactly as hashed. */
  details: string
  prevHash: string
  orgPrevHash: string
  hash: string
}

export const EXPORT_FORMAT = 'secure-saas-starter/org-audit-export/1'

/**
 * Every event of the organization, oldest first, in keyset batches of `batchSize` rows: memory
 * stays constant however long the trail is.
 */
export async function* exportOrgEvents(db: Db, orgId: string, batchSize = 500): AsyncGenerator<ExportedEvent> {
  let lastId = 0
  for (;;) {
    const rows = await db
      .selectFrom('security_events')
      .select(['id', 'type', 'occurred_at', 'account_id', 'ip', 'user_agent', sql<string>`details::text`.as('details'), 'prev_hash', 'org_prev_hash', 'hash'])
      .where('org_id', '=', orgId)
      .where('id', '>', lastId)
      .orderBy('id')
      .limit(batchSize)
      .execute()
    for (const row of rows) {
      lastId = row.id
      yield {
        id: row.id,
        type: row.type,
        at: row.occurred_at.toISOString(),
        accountId: row.account_id,
        orgId,
        ip: row.ip,
        userAgent: row.user_agent,
        details: row.details,
        prevHash: (row.prev_hash ?? Buffer.alloc(0)).toString('hex'),
        orgPrevHash: (row.org_prev_hash ?? Buffer.alloc(0)).toString('hex'),
        hash: (row.hash ?? Buffer.alloc(0)).toString('hex'),
      }
    }
    if (rows.length < batchSize) return
  }
}

export type ExportReport = { ok: true; events: number; head: string } | { ok: false; events: number; line: number; reason: string }

const HEX64 = /^[0-9a-f]{64}$/

/**
 * Verifies an export, line by line (the first line is the header): every hash re-computes from its
 * line, and every event links to the previous line by org_prev_hash, starting from the
 * organization's genesis. No database, one line in memory at a time: for the offline script.
 */
export async function verifyExportLines(lines: Iterable<string> | AsyncIterable<string>): Promise<ExportReport> {
  let expectedOrgPrev = ORG_GENESIS.toString('hex')
  let events = 0
  let lineNo = 0
  let orgId: string | null = null
  for await (const raw of lines) {
    lineNo += 1
    if (raw.trim() === '') continue
    let parsed: unknown
    try {
      parsed = JSON.parse(raw)
    } catch {
      return { ok: false, events, line: lineNo, reason: 'not JSON' }
    }
    if (lineNo === 1) {
      const header = parsed as { format?: unknown; orgId?: unknown }
      if (header.format !== EXPORT_FORMAT || typeof header.orgId !== 'string') return { ok: false, events, line: lineNo, reason: 'missing or unknown header' }
      orgId = header.orgId
      continue
    }
    const e = parsed as Partial<ExportedEvent>
    if (
      typeof e.type !== 'string' ||
      typeof e.at !== 'string' ||
      typeof e.details !== 'string' ||
      typeof e.prevHash !== 'string' ||
      typeof e.orgPrevHash !== 'string' ||
      typeof e.hash !== 'string'
    ) {
      return { ok: false, events, line: lineNo, reason: 'missing fields' }
    }
    if (e.orgId !== orgId) return { ok: false, events, line: lineNo, reason: 'event of another organization' }
    if (!HEX64.test(e.prevHash) || !HEX64.test(e.orgPrevHash) || !HEX64.test(e.hash)) return { ok: false, events, line: lineNo, reason: 'malformed hash' }
    if (!constantTimeEqual(e.orgPrevHash, expectedOrgPrev))
      return { ok: false, events, line: lineNo, reason: 'chain broken: an event is missing, reordered or inserted' }
    const fields: ChainedFields = {
      account_id: e.accountId ?? null,
      type: e.type,
      occurred_at: new Date(e.at),
      ip: e.ip ?? null,
      user_agent: e.userAgent ?? null,
      details: e.details,
      org_id: orgId,
      org_prev_hash: Buffer.from(e.orgPrevHash, 'hex'),
    }
    if (Number.isNaN(fields.occurred_at.getTime()) || fields.occurred_at.toISOString() !== e.at)
      return { ok: false, events, line: lineNo, reason: 'malformed timestamp' }
    if (!constantTimeEqual(eventHash(Buffer.from(e.prevHash, 'hex'), fields).toString('hex'), e.hash))
      return { ok: false, events, line: lineNo, reason: 'hash does not match the content' }
    expectedOrgPrev = e.hash
    events += 1
  }
  if (orgId === null) return { ok: false, events, line: lineNo, reason: 'empty export' }
  return { ok: true, events, head: expectedOrgPrev }
}
