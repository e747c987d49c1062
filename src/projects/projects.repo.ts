// SQL for projects, a tenant-owned table. Every function takes the tenant transaction (src/db/tenant.ts)
// and still names org_id: the WHERE clause is the first wall, Row Level Security the second.
import type { Insertable, Selectable } from 'kysely'
import type { Trx } from '../db/db.js'
import type { DB } from '../db/schema.js'

export type ProjectRow = Pick<Selectable<DB['projects']>, (typeof COLUMNS)[number]>

const COLUMNS = ['id', 'org_id', 'name', 'created_at', 'updated_at'] as const

export async function listProjects(trx: Trx, orgId: string, limit: number): Promise<ProjectRow[]> {
  return trx.selectFrom('projects').select(COLUMNS).where('org_id', '=', orgId).orderBy('created_at').orderBy('id').limit(limit).execute()
}

export async function countProjects(trx: Trx, orgId: string): Promise<number> {
  const { n } = await trx
    .selectFrom('projects')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('org_id', '=', orgId)
    .executeTakeFirstOrThrow()
  return n
}

export async function findProject(trx: Trx, orgId: string, id: string): Promise<ProjectRow | undefined> {
  return trx.selectFrom('projects').select(COLUMNS).where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst()
}

export async function insertProject(trx: Trx, row: Omit<Insertable<DB['projects']>, 'id'>): Promise<ProjectRow> {
  return trx.insertInto('projects').values(row).returning(COLUMNS).executeTakeFirstOrThrow()
}

export async function renameProject(trx: Trx, orgId: string, id: string, name: string, now: Date): Promise<ProjectRow | undefined> {
  return trx.updateTable('projects').set({ name, updated_at: now }).where('org_id', '=', orgId).where('id', '=', id).returning(COLUMNS).executeTakeFirst()
}

export async function deleteProject(trx: Trx, orgId: string, id: string): Promise<boolean> {
  const rows = await trx.deleteFrom('projects').where('org_id', '=', orgId).where('id', '=', id).returning('id').execute()
  return rows.length > 0
}
