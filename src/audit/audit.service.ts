// The audit trail (OWASP ASVS 5.0 V16): security events are appended, never updated, and are
// written with the same transaction as the change they record, so change and record commit together.
// Events hold no secret and no email address: an erased account leaves only its id behind.
import { sql } from 'kysely'
import type { Db } from '../db/db.js'
import { chainFor, eventHash, lockChainHead, orgChainHead } from './audit-chain.js'

export const EVENT_TYPES = [
  'account.registered',
  'account.deleted',
  'email.verified',
  'login.succeeded',
  'login.failed',
  'login.throttled',
  'login.new_device',
  'logout',
  'password.changed',
  'password.change_required',
  'password.reset_requested',
  'password.reset',
  'session.revoked',
  'sessions.revoked_others',
  'mfa.totp_enabled',
  'mfa.totp_disabled',
  'mfa.recovery_codes_regenerated',
  'mfa.recovery_code_used',
  'mfa.failed',
  'token.created',
  'token.revoked',
  'reauth.failed',
  'account.expired',
  'email.change_requested',
  'email.changed',
  'mfa.totp_enrolment_started',
  'login.failure_cap_reached',
  'mfa.repeated_failures_notified',
  'passkey.registered',
  'passkey.renamed',
  'passkey.deleted',
  'passkey.counter_regressed',
  'org.created',
  'org.renamed',
  'org.policy_changed',
  'org.deleted',
  'org.ownership_transferred',
  'member.invited',
  'member.joined',
  'member.role_changed',
  'member.removed',
  'member.left',
  'invitation.revoked',
  'project.created',
  'project.updated',
  'project.deleted',
] as const

export type EventType = (typeof EVENT_TYPES)[number]

/** Where a request came from, as far as the server can tell. */
export interface RequestMeta {
  readonly ip: string
  readonly userAgent: string | null
}

export interface SecurityEvent {
  readonly type: EventType
  readonly accountId: string | null
  readonly meta: RequestMeta | null
  readonly at: Date
  readonly details?: Record<string, string | number | boolean>
  /** Organization events: also chained per organization (src/audit/audit-chain.ts). */
  readonly orgId?: string
}

/** Appends the event to the hash chain; joins the caller's transaction or opens one. */
export async function recordEvent(db: Db, event: SecurityEvent): Promise<void> {
  if (!db.isTransaction) {
    await db.transaction().execute((trx) => recordEvent(trx, event))
    return
  }
  // details is stored as jsonb; the chain hashes jsonb's own text form so verification can re-read it.
  const { rows } = await sql<{ details: string }>`select ${JSON.stringify(event.details ?? {})}::jsonb::text as details`.execute(db)
  const fields = {
    account_id: event.accountId,
    type: event.type,
    occurred_at: event.at,
    ip: event.meta?.ip ?? null,
    user_agent: event.meta?.userAgent ?? null, // bounded by requestMeta()
    details: rows[0]?.details ?? '{}',
  }
  // Everything above ran before the lock: only the head reads and the insert hold it (to commit).
  // An organization's events share one chain, so its organization chain cannot fork either.
  const chain = chainFor(event.accountId, event.orgId)
  const prev = await lockChainHead(db, chain)
  const org = event.orgId === undefined ? {} : { org_id: event.orgId, org_prev_hash: await orgChainHead(db, event.orgId) }
  await db
    .insertInto('security_events')
    .values({ ...fields, ...org, chain, prev_hash: prev, hash: eventHash(prev, { ...fields, ...org }) })
    .execute()
}

export interface EventView {
  type: string
  at: string
  ip: string | null
  userAgent: string | null
}

/** The account's own events, newest first. */
export async function listEvents(db: Db, accountId: string, limit = 100): Promise<EventView[]> {
  const rows = await db
    .selectFrom('security_events')
    .select(['type', 'occurred_at', 'ip', 'user_agent'])
    .where('account_id', '=', accountId)
    .orderBy('id', 'desc')
    .limit(limit)
    .execute()
  return rows.map((r) => ({ type: r.type, at: r.occurred_at.toISOString(), ip: r.ip, userAgent: r.user_agent }))
}
