// Every change to an organization is a security event in the shared hash chain, also chained per
// organization (src/audit/audit-chain.ts), with actor, organization, target, ip, user agent and
// request id. No email goes into an event: targets are ids, resolved to addresses when read.
import { type EventType, recordEvent, type RequestMeta } from '../audit/audit.service.js'
import type { Db } from '../db/db.js'
import type { OrgMeta } from './orgs.types.js'

/**
 * The request facts of an event: a route under /v1/orgs/:orgId always has its request id (OrgMeta);
 * a flow outside it (account deletion, DELETE /v1/me) may not, and then the event has none.
 */
export type OrgEventMeta = RequestMeta & Partial<Pick<OrgMeta, 'requestId'>>

export interface OrgEventTarget {
  readonly accountId?: string
  readonly invitationId?: string
  readonly projectId?: string
}

export async function recordOrgEvent(
  db: Db,
  event: {
    type: EventType
    orgId: string
    actorId: string
    meta: OrgEventMeta
    at: Date
    target?: OrgEventTarget
    details?: Record<string, string | number | boolean>
  },
): Promise<void> {
  const { accountId, invitationId, projectId } = event.target ?? {}
  const target = {
    ...(accountId !== undefined ? { targetAccountId: accountId } : {}),
    ...(invitationId !== undefined ? { targetInvitationId: invitationId } : {}),
    ...(projectId !== undefined ? { targetProjectId: projectId } : {}),
  }
  await recordEvent(db, {
    type: event.type,
    accountId: event.actorId,
    orgId: event.orgId,
    meta: { ip: event.meta.ip, userAgent: event.meta.userAgent },
    at: event.at,
    details: { ...(event.meta.requestId !== undefined ? { requestId: event.meta.requestId } : {}), ...target, ...event.details },
  })
}
