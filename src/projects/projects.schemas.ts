// Request and response shapes of /v1/orgs/:orgId/projects.
import { Type } from 'typebox'
import { DisplayName, Id, StrictObject, Timestamp } from '../http/schemas.js'

// Read by every member in listings and the audit trail.
const ProjectName = DisplayName(100)

export const ProjectsParams = StrictObject({ orgId: Id })
export const ProjectParams = StrictObject({ orgId: Id, projectId: Id })
export const ProjectBody = StrictObject({ name: ProjectName })
export const ProjectView = StrictObject({ id: Id, name: ProjectName, createdAt: Timestamp, updatedAt: Timestamp })
export const ProjectListReply = StrictObject({ projects: Type.Array(ProjectView, { maxItems: 500 }) })
