// An organization's audit trail as its admins read it: pages of events with actor and target
// resolved to addresses (events hold ids only; src/accounts, the owner of addresses, resolves them),
// and the NDJSON export, one line at a time (a header, then every event oldest first with its chain
// data; src/audit/audit-org.ts).
import { accountEmails } from '../accounts/accounts.service.js'
import { EXPORT_FORMAT, exportOrgEvents, listOrgEvents, type OrgEventRow } from '../audit/audit-org.js'
import type { Deps } from '../deps.js'
import type { AuditEventView } from './orgs.schemas.js'

export const AUDIT_PAGE_MAX = 100

/** An address by account id; null when the account is gone. */
type Emails = (accountId: string) => string | null

function eventView(row: OrgEventRow, email: Emails): AuditEventView {
  const target =
    row.target_account_id !== null
      ? { kind: 'account' as const, id: row.target_account_id, email: email(row.target_account_id) }
      : row.target_invitation_id !== null
        ? { kind: 'invitation' as const, id: row.target_invitation_id, email: null }
        : row.target_project_id !== null
          ? { kind: 'project' as const, id: row.target_project_id, email: null }
          : null
  return {
    id: String(row.id),
    type: row.type,
    at: row.occurred_at.toISOString(),
    actor: row.account_id !== null ? { accountId: row.account_id, email: email(row.account_id) } : null,
    ip: row.ip,
    userAgent: row.user_agent,
    target,
  }
}

/**
 * The event id a cursor (digits, bounded by the schema) names. Ids are bigserial and stay far below
 * 2^53; a larger cursor comes from no page of ours and means "before every event" (the first page),
 * rather than a number that lost its precision or an exponent that bigint refuses (a 500).
 */
function cursorId(cursor: string): number {
  const id = Number(cursor)
  return Number.isSafeInteger(id) ? id : Number.MAX_SAFE_INTEGER
}

/** Newest first; `cursor` is the id of the last event of the previous page. */
export async function listOrgAudit(
  deps: Pick<Deps, 'db'>,
  orgId: string,
  limit: number,
  cursor: string | undefined,
): Promise<{ events: AuditEventView[]; nextCursor: string | null }> {
  const size = Math.min(AUDIT_PAGE_MAX, Math.max(1, limit))
  const rows = await listOrgEvents(deps.db, orgId, { limit: size + 1, beforeId: cursor === undefined ? null : cursorId(cursor) })
  const page = rows.slice(0, size)
  const emails = await accountEmails(
    deps.db,
    page.flatMap((r) => [r.account_id, r.target_account_id].filter((id) => id !== null)),
  )
  const email: Emails = (accountId) => emails.get(accountId) ?? null
  const last = page.at(-1)
  return { events: page.map((row) => eventView(row, email)), nextCursor: rows.length > size && last !== undefined ? String(last.id) : null }
}

/** The export, line by line: constant memory however long the trail (keyset batches). */
export async function* exportOrgAudit(deps: Pick<Deps, 'db' | 'clock'>, orgId: string): AsyncGenerator<string> {
  yield `${JSON.stringify({ format: EXPORT_FORMAT, orgId, exportedAt: deps.clock.now().toISOString() })}\n`
  for await (const event of exportOrgEvents(deps.db, orgId)) yield `${JSON.stringify(event)}\n`
}
