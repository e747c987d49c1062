// /v1/orgs/:orgId/projects (inside orgScope, which resolved the membership): viewers read, members
// write. Each route names its permission in `config`; the organization comes from the context.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { Deps } from '../deps.js'
import { errorReplies } from '../http/schemas.js'
import { orgContext, orgMeta } from '../orgs/org-scope.js'
import { ProjectBody, ProjectListReply, ProjectParams, ProjectsParams, ProjectView } from './projects.schemas.js'
import * as projects from './projects.service.js'

const tags = ['projects']
const security: Record<string, string[]>[] = [{ session: [] }, { bearer: [] }]

export const projectsRoutes: FastifyPluginAsyncTypebox<{ deps: Deps }> = async (app, { deps }) => {
  app.get(
    '',
    {
      config: { permission: 'projects:read' },
      schema: { tags, security, params: ProjectsParams, response: { 200: ProjectListReply, ...errorReplies(401, 403, 404) } },
    },
    async (request) => {
      return { projects: await projects.listProjects(deps, orgContext(request)) }
    },
  )

  app.post(
    '',
    {
      config: { permission: 'projects:write' },
      schema: { tags, security, params: ProjectsParams, body: ProjectBody, response: { 201: ProjectView, ...errorReplies(400, 401, 403, 404, 422) } },
    },
    async (request, reply) => {
      return reply.code(201).send(await projects.createProject(deps, orgContext(request), request.body.name, orgMeta(request)))
    },
  )

  app.get(
    '/:projectId',
    {
      config: { permission: 'projects:read' },
      schema: { tags, security, params: ProjectParams, response: { 200: ProjectView, ...errorReplies(400, 401, 403, 404) } },
    },
    async (request) => {
      return projects.getProject(deps, orgContext(request), request.params.projectId)
    },
  )

  app.patch(
    '/:projectId',
    {
      config: { permission: 'projects:write' },
      schema: { tags, security, params: ProjectParams, body: ProjectBody, response: { 200: ProjectView, ...errorReplies(400, 401, 403, 404) } },
    },
    async (request) => {
      return projects.renameProject(deps, orgContext(request), request.params.projectId, request.body.name, orgMeta(request))
    },
  )

  app.delete(
    '/:projectId',
    {
      config: { permission: 'projects:write' },
      schema: { tags, security, params: ProjectParams, response: { 204: Type.Null(), ...errorReplies(400, 401, 403, 404) } },
    },
    async (request, reply) => {
      await projects.deleteProject(deps, orgContext(request), request.params.projectId, orgMeta(request))
      return reply.code(204).send(null)
    },
  )
}
