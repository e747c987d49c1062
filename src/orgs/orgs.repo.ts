// SQL for organizations and memberships (the tenancy directory; not under Row Level Security, so
// every query here names org_id or account_id). Addresses come from src/accounts, the owner of the
// accounts table (accountEmails in its service; docs/decisions/0080-layers-enforced.md).
import type { Insertable, Selectable } from 'kysely'
import type { Db, Trx } from '../db/db.js'
import type { DB } from '../db/schema.js'

export type OrgRow = Pick<Selectable<DB['organizations']>, (typeof ORG_COLUMNS)[number]>

/** A membership with its organization: the role from memberships, the rest from organizations. */
export type MembershipRow = Pick<Selectable<DB['memberships']>, 'role'> & Pick<Selectable<DB['organizations']>, 'name' | 'mfa_required' | 'created_at'>

const ORG_COLUMNS = ['id', 'name', 'mfa_required', 'created_at'] as const

export async function insertOrg(db: Db, name: string, now: Date): Promise<OrgRow> {
  return db.insertInto('organizations').values({ name, created_at: now }).returning(ORG_COLUMNS).executeTakeFirstOrThrow()
}

export async function insertMembership(db: Db, row: Insertable<DB['memberships']> & { created_at: Date }): Promise<void> {
  await db.insertInto('memberships').values(row).execute()
}

export async function countMemberships(db: Db, accountId: string): Promise<number> {
  const { n } = await db
    .selectFrom('memberships')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('account_id', '=', accountId)
    .executeTakeFirstOrThrow()
  return n
}

/** The account's organizations with its role in each, oldest membership first. */
export async function listForAccount(
  db: Db,
  accountId: string,
  onlyOrgId: string | null,
  limit: number,
): Promise<{ id: string; name: string; role: string }[]> {
  let query = db
    .selectFrom('memberships as m')
    .innerJoin('organizations as o', 'o.id', 'm.org_id')
    .select(['o.id', 'o.name', 'm.role'])
    .where('m.account_id', '=', accountId)
  if (onlyOrgId !== null) query = query.where('m.org_id', '=', onlyOrgId)
  return query.orderBy('m.created_at').orderBy('o.id').limit(limit).execute()
}

/** The caller's membership and the organization's policy, in one indexed look-up (the per-request cost). */
export async function findMembership(db: Db, orgId: string, accountId: string): Promise<MembershipRow | undefined> {
  return db
    .selectFrom('memberships as m')
    .innerJoin('organizations as o', 'o.id', 'm.org_id')
    .select(['m.role', 'o.name', 'o.mfa_required', 'o.created_at'])
    .where('m.org_id', '=', orgId)
    .where('m.account_id', '=', accountId)
    .executeTakeFirst()
}

/** Locks the organization's row: serialises policy changes and deletion. */
export async function lockOrg(trx: Trx, orgId: string): Promise<OrgRow | undefined> {
  return trx.selectFrom('organizations').select(ORG_COLUMNS).where('id', '=', orgId).forUpdate().executeTakeFirst()
}

export async function updateOrg(db: Db, orgId: string, patch: { name?: string; mfa_required?: boolean }): Promise<OrgRow> {
  return db.updateTable('organizations').set(patch).where('id', '=', orgId).returning(ORG_COLUMNS).executeTakeFirstOrThrow()
}

/** Deletes the organization; memberships, invitations, tenant rows and bound tokens go by cascade. */
export async function deleteOrg(db: Db, orgId: string): Promise<void> {
  await db.deleteFrom('organizations').where('id', '=', orgId).execute()
}

/** The organization's memberships, oldest first (ids only: the caller asks src/accounts for addresses). */
export async function listMembers(db: Db, orgId: string, limit: number): Promise<{ account_id: string; role: string; created_at: Date }[]> {
  return db
    .selectFrom('memberships')
    .select(['account_id', 'role', 'created_at'])
    .where('org_id', '=', orgId)
    .orderBy('created_at')
    .orderBy('account_id')
    .limit(limit)
    .execute()
}

/**
 * Locks and returns the ids of the organization's members holding `role` (its owners). Every change
 * that could remove an owner takes this lock first, so two of them never both see "another owner
 * remains" (READ COMMITTED re-checks the WHERE on rows another transaction changed meanwhile).
 */
export async function lockMembersWithRole(trx: Trx, orgId: string, role: string): Promise<string[]> {
  const rows = await trx
    .selectFrom('memberships')
    .select('account_id')
    .where('org_id', '=', orgId)
    .where('role', '=', role)
    .orderBy('account_id')
    .forUpdate()
    .execute()
  return rows.map((r) => r.account_id)
}

export async function lockMember(trx: Trx, orgId: string, accountId: string): Promise<{ role: string } | undefined> {
  return trx.selectFrom('memberships').select('role').where('org_id', '=', orgId).where('account_id', '=', accountId).forUpdate().executeTakeFirst()
}

/**
 * The membership's role and the organization's mfaRequired policy, the membership row held (FOR
 * SHARE) until the transaction ends: a removal waits for it.
 */
export async function shareMember(trx: Trx, orgId: string, accountId: string): Promise<{ role: string; mfa_required: boolean } | undefined> {
  return trx
    .selectFrom('memberships as m')
    .innerJoin('organizations as o', 'o.id', 'm.org_id')
    .select(['m.role', 'o.mfa_required'])
    .where('m.org_id', '=', orgId)
    .where('m.account_id', '=', accountId)
    .forShare('m')
    .executeTakeFirst()
}

export async function setRole(db: Db, orgId: string, accountId: string, role: string): Promise<void> {
  await db.updateTable('memberships').set({ role }).where('org_id', '=', orgId).where('account_id', '=', accountId).execute()
}

export async function deleteMembership(db: Db, orgId: string, accountId: string): Promise<void> {
  await db.deleteFrom('memberships').where('org_id', '=', orgId).where('account_id', '=', accountId).execute()
}

/** For each organization the account owns, locks every owner row; returns (org, owner) pairs. */
export async function lockOwnersOfOrgsOwnedBy(trx: Trx, accountId: string, role: string): Promise<{ org_id: string; account_id: string }[]> {
  return trx
    .selectFrom('memberships')
    .select(['org_id', 'account_id'])
    .where('role', '=', role)
    .where('org_id', 'in', (eb) => eb.selectFrom('memberships').select('org_id').where('account_id', '=', accountId).where('role', '=', role))
    .orderBy('org_id')
    .orderBy('account_id')
    .forUpdate()
    .execute()
}
