// Projects: the example tenant resource a fork copies (docs/tenancy.md). Invariants:
// - every read and write runs in withTenant(): the organization comes from the resolved membership
//   (src/orgs/org-scope.ts), never from the body, and Row Level Security holds it to that organization
//   even if a WHERE clause is forgotten;
// - another organization's project id answers 404, like an unknown one;
// - every change is an organization event, in the same transaction.
import type { Deps } from '../deps.js'
import { withTenant } from '../db/tenant.js'
import { AppError, CommonErrors } from '../errors.js'
import { recordOrgEvent } from '../orgs/org-events.js'
import { lockOrganization } from '../orgs/orgs.service.js'
import type { OrgContext, OrgMeta } from '../orgs/orgs.types.js'
import * as repo from './projects.repo.js'
import { ProjectView as ProjectViewSchema } from './projects.schemas.js'
import type { Static } from 'typebox'

/** Projects per organization: bounds the table and the list answer. */
export const MAX_PROJECTS_PER_ORG = 500

export type ProjectView = Static<typeof ProjectViewSchema>

const notFound = () => CommonErrors.notFound('Project')

function toView(row: repo.ProjectRow): ProjectView {
  return { id: row.id, name: row.name, createdAt: row.created_at.toISOString(), updatedAt: row.updated_at.toISOString() }
}

export async function listProjects(deps: Deps, ctx: OrgContext): Promise<ProjectView[]> {
  return withTenant(deps, ctx.orgId, async (trx) => (await repo.listProjects(trx, ctx.orgId, MAX_PROJECTS_PER_ORG)).map(toView))
}

/** 404 not_found for an unknown id or another organization's. */
export async function getProject(deps: Deps, ctx: OrgContext, id: string): Promise<ProjectView> {
  const row = await withTenant(deps, ctx.orgId, (trx) => repo.findProject(trx, ctx.orgId, id))
  if (row === undefined) throw notFound()
  return toView(row)
}

/** 422 project_limit_reached past MAX_PROJECTS_PER_ORG. */
export async function createProject(deps: Deps, ctx: OrgContext, name: string, meta: OrgMeta): Promise<ProjectView> {
  const now = deps.clock.now()
  return withTenant(deps, ctx.orgId, async (trx) => {
    // Parallel creates count in turn, so none passes the cap on a count another is about to outgrow.
    await lockOrganization(trx, ctx.orgId)
    if ((await repo.countProjects(trx, ctx.orgId)) >= MAX_PROJECTS_PER_ORG)
      throw new AppError('project_limit_reached', 422, `An organization may have at most ${MAX_PROJECTS_PER_ORG} projects`)
    const row = await repo.insertProject(trx, { org_id: ctx.orgId, name, created_at: now, updated_at: now })
    await recordOrgEvent(trx, { type: 'project.created', orgId: ctx.orgId, actorId: ctx.accountId, meta, at: now, target: { projectId: row.id } })
    return toView(row)
  })
}

export async function renameProject(deps: Deps, ctx: OrgContext, id: string, name: string, meta: OrgMeta): Promise<ProjectView> {
  const now = deps.clock.now()
  return withTenant(deps, ctx.orgId, async (trx) => {
    const row = await repo.renameProject(trx, ctx.orgId, id, name, now)
    if (row === undefined) throw notFound()
    await recordOrgEvent(trx, { type: 'project.updated', orgId: ctx.orgId, actorId: ctx.accountId, meta, at: now, target: { projectId: id } })
    return toView(row)
  })
}

export async function deleteProject(deps: Deps, ctx: OrgContext, id: string, meta: OrgMeta): Promise<void> {
  const now = deps.clock.now()
  await withTenant(deps, ctx.orgId, async (trx) => {
    if (!(await repo.deleteProject(trx, ctx.orgId, id))) throw notFound()
    await recordOrgEvent(trx, { type: 'project.deleted', orgId: ctx.orgId, actorId: ctx.accountId, meta, at: now, target: { projectId: id } })
  })
}
