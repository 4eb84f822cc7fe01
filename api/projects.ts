import { createRoute, z } from '@hono/zod-openapi';
import { getProject, insertProject, listProjects } from '../db/projects';
import type { ApiDeps } from './deps';
import { ErrorBody, notFound } from './errors';
import { newRouter, security } from './router';
import { IdParam, json } from './schemas';

const Project = z.object({ id: z.uuid(), key: z.string(), name: z.string(), createdAt: z.string() }).openapi('Project');
const CreateProject = z
  .strictObject({
    key: z.string().regex(/^[A-Z][A-Z0-9_]{1,19}$/, 'expected 2-20 upper-case letters, digits or _').openapi({ example: 'WEB' }),
    name: z.string().min(1).max(200).openapi({ example: 'Website' }),
  })
  .openapi('CreateProject');

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
    );
}
