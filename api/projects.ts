import { createRoute, z } from '@hono/zod-openapi';
import { deleteProject, getProject, insertProject, listProjects, updateProject } from '../db/projects';
import type { ApiDeps } from './deps';
import { ApiError, ErrorBody, notFound } from './errors';
import { newRouter, security } from './router';
import { IdParam, json } from './schemas';

const Project = z.object({ id: z.uuid(), key: z.string(), name: z.string(), createdAt: z.string() }).openapi('Project');
export type ProjectView = z.infer<typeof Project>;
const ProjectKey = z.string().regex(/^[A-Z][A-Z0-9_]{1,19}$/, 'expected 2-20 upper-case letters, digits or _').openapi({ example: 'WEB' });
const ProjectName = z.string().min(1).max(200).openapi({ example: 'Website' });
const CreateProject = z.strictObject({ key: ProjectKey, name: ProjectName }).openapi('CreateProject');
const UpdateProject = z
  .strictObject({
    key: ProjectKey.optional().openapi({ description: 'Only while no live binding uses the project: rules may have written story keys (KEY-1a2b3c4d) to its remotes' }),
    name: ProjectName.optional(),
  })
  .refine((b) => b.key !== undefined || b.name !== undefined, { message: 'give at least one of key, name' })
  .openapi('UpdateProject');
const DeleteQuery = z.object({
  deleteStories: z.enum(['true', 'false']).default('false').transform((v) => v === 'true')
    .openapi({ param: { name: 'deleteStories', in: 'query' }, description: 'Confirms that the project\'s stories, comments and files are deleted with it' }),
});
const ProjectInUse = z
  .object({
    error: ErrorBody.shape.error,
    bindings: z.array(z.uuid()).openapi({ description: 'Live bindings of the project: delete them first' }),
    sinks: z.array(z.uuid()).openapi({ description: 'Event sinks of the project: delete them first' }),
    stories: z.number().int().openapi({ description: 'Stories the project holds (not deleted): confirm with deleteStories=true' }),
  })
  .openapi('ProjectInUse');

const view = (p: { id: string; key: string; name: string; createdAt: Date }) => ({ id: p.id, key: p.key, name: p.name, createdAt: p.createdAt.toISOString() });

export function projectRoutes(deps: ApiDeps) {
  return newRouter()
    .openapi(
      createRoute({
        method: 'post', path: '/', summary: 'Create a hub project', security,
        request: { body: { content: { 'application/json': { schema: CreateProject } }, required: true } },
        responses: { 201: json(Project, 'Created'), 400: json(ErrorBody, 'Invalid input'), 409: json(ErrorBody, 'Key taken') },
      }),
      async (c) => {
        // A taken key is the unique index's answer (a 409 naming `key`, api/errors.ts): a read first would race.
        return c.json(view(await insertProject(deps.db, c.req.valid('json'))), 201);
      },
    )
    .openapi(
      createRoute({ method: 'get', path: '/', summary: 'List projects', security, responses: { 200: json(z.object({ items: z.array(Project) }), 'Projects') } }),
      async (c) => c.json({ items: (await listProjects(deps.db)).map(view) }, 200),
    )
    .openapi(
      createRoute({ method: 'get', path: '/{id}', summary: 'One project', security, request: { params: IdParam }, responses: { 200: json(Project, 'Project'), 404: json(ErrorBody, 'Not found') } }),
      async (c) => {
        const p = await getProject(deps.db, c.req.valid('param').id);
        if (!p) throw notFound('project');
        return c.json(view(p), 200);
      },
    )
    .openapi(
      createRoute({
        method: 'patch', path: '/{id}', summary: 'Rename a project, or change its key while no live binding uses it', security,
        request: { params: IdParam, body: { content: { 'application/json': { schema: UpdateProject } }, required: true } },
        responses: {
          200: json(Project, 'Changed'), 400: json(ErrorBody, 'Invalid input'), 404: json(ErrorBody, 'Not found'),
          409: json(ErrorBody, 'The key is taken, or live bindings use the project (the key cannot change under them)'),
        },
      }),
      async (c) => {
        const { id } = c.req.valid('param');
        const result = await updateProject(deps.db, id, c.req.valid('json'));
        if (!result) throw notFound('project');
        if ('keyInUseBy' in result) {
          throw new ApiError(409, 'conflict', `The key cannot change while ${result.keyInUseBy.length} live binding(s) use the project: story keys written to their remotes carry it`,
            [{ path: 'key', message: `used by bindings ${result.keyInUseBy.join(', ')}` }]);
        }
        return c.json(view(result.project), 200);
      },
    )
    .openapi(
      createRoute({
        method: 'delete', path: '/{id}', security, request: { params: IdParam, query: DeleteQuery },
        summary: 'Delete a project nothing syncs any more (no live binding, no project sink); one holding stories only with deleteStories=true',
        responses: { 204: { description: 'Deleted, with its stories' }, 404: json(ErrorBody, 'Not found'), 409: json(ProjectInUse, 'Still bound, published, or holding stories') },
      }),
      async (c) => {
        const { id } = c.req.valid('param');
        const result = await deleteProject(deps.db, id, c.req.valid('query').deleteStories);
        if (!result) throw notFound('project');
        if (!result.deleted) {
          const reasons = [
            ...(result.bindings.length ? [`${result.bindings.length} live binding(s)`] : []),
            ...(result.sinks.length ? [`${result.sinks.length} event sink(s)`] : []),
          ];
          const message = reasons.length
            ? `The project is still in use by ${reasons.join(' and ')}; delete them first`
            : `The project holds ${result.stories} stories; repeat with deleteStories=true to delete them with it`;
          return c.json({ error: { code: 'in_use', message }, bindings: result.bindings, sinks: result.sinks, stories: result.stories }, 409);
        }
        deps.logger.info({ project: id, stories: result.stories }, 'project deleted');
        return c.body(null, 204);
      },
    );
}
