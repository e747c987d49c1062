// Request and response shapes of /v1/orgs/:orgId/projects.
import { Type } from 'typebox'
import { Id, StrictObject, Timestamp } from '../http/schemas.js'

const ProjectName = Type.String({ minLength: 1, maxLength: 100, pattern: '^[^\\u0000-\\u001f\\u007f]+$' })

export const ProjectsParams = StrictObject({ orgId: Id })
export const ProjectParams = StrictObject({ orgId: Id, projectId: Id })
export const ProjectBody = StrictObject({ name: ProjectName })
export const ProjectView = StrictObject({ id: Id, name: ProjectName, createdAt: Timestamp, updatedAt: Timestamp })
export const ProjectListReply = StrictObject({ projects: Type.Array(ProjectView, { maxItems: 500 }) })
