// Tables owned by src/projects (migrations/202612011210_create_projects.ts). Tenant-owned: org_id
// plus a Row Level Security policy; only read or written inside withTenant() (src/db/tenant.ts).
import type { Generated } from 'kysely'

export interface ProjectsTable {
  id: Generated<string>
  org_id: string
  name: string
  created_at: Date
  updated_at: Date
}

export interface ProjectTables {
  projects: ProjectsTable
}
