import { createRoute, z } from '@hono/zod-openapi';
import { listComments } from '../db/comments';
import { getProject } from '../db/projects';
import { getStory, listStories, storyLinks, type Story } from '../db/stories';
import type { ApiDeps } from './deps';
import { ErrorBody, notFound } from './errors';
import { newRouter, security } from './router';
import { IdParam, json } from './schemas';

export const StoryView = z
  .object({
    id: z.uuid(), projectId: z.uuid(), title: z.string(), description: z.string(), status: z.string(), closed: z.boolean(),
    priority: z.string().nullable(), assignee: z.string().nullable(), labels: z.array(z.string()),
    customFields: z.record(z.string(), z.string().nullable()), version: z.number().int(),
    deletedAt: z.string().nullable(), createdAt: z.string(), updatedAt: z.string(),
    links: z.array(z.object({ bindingId: z.uuid(), remoteId: z.string().nullable(), remoteKey: z.string().nullable(), remoteUrl: z.string().nullable() })).optional(),
  })
  .openapi('Story');

const Comment = z
  .object({ id: z.uuid(), author: z.string(), body: z.string(), origin: z.string(), createdAt: z.string(), updatedAt: z.string() })
  .openapi('Comment');

export type StoryView = z.infer<typeof StoryView>;
export type CommentView = z.infer<typeof Comment>;

export const storyView = (s: Story) => ({
  id: s.id, projectId: s.projectId, title: s.title, description: s.description, status: s.status, closed: s.closed,
  priority: s.priority, assignee: s.assignee, labels: s.labels, customFields: s.customFields, version: s.version,
  deletedAt: s.deletedAt?.toISOString() ?? null, createdAt: s.createdAt.toISOString(), updatedAt: s.updatedAt.toISOString(),
});

const Page = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  offset: z.coerce.number().int().min(0).default(0),
  includeDeleted: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
});

/** Reads of stories and comments; hub writes live in their own module. */
export function storyReadRoutes(deps: ApiDeps) {
  return newRouter()
    .openapi(
      createRoute({
        method: 'get', path: '/projects/{id}/stories', summary: "A project's stories", security, request: { params: IdParam, query: Page },
        responses: { 200: json(z.object({ items: z.array(StoryView), total: z.number().int() }), 'Stories'), 404: json(ErrorBody, 'No such project') },
      }),
      async (c) => {
        const { id } = c.req.valid('param');
        if (!(await getProject(deps.db, id))) throw notFound('project');
        const { items, total } = await listStories(deps.db, id, c.req.valid('query'));
        return c.json({ items: items.map(storyView), total }, 200);
      },
    )
    .openapi(
      createRoute({
        method: 'get', path: '/stories/{id}', summary: 'One story with its remote links', security, request: { params: IdParam },
        responses: { 200: json(StoryView, 'Story'), 404: json(ErrorBody, 'Not found') },
      }),
      async (c) => {
        const story = await getStory(deps.db, c.req.valid('param').id);
        if (!story) throw notFound('story');
        const links = await storyLinks(deps.db, story.id);
        return c.json({ ...storyView(story), links: links.map(({ syncedAt: _s, ...l }) => l) }, 200);
      },
    )
    .openapi(
      createRoute({
        method: 'get', path: '/stories/{id}/comments', summary: "A story's comments", security, request: { params: IdParam },
        responses: { 200: json(z.object({ items: z.array(Comment) }), 'Comments'), 404: json(ErrorBody, 'Not found') },
      }),
      async (c) => {
        const story = await getStory(deps.db, c.req.valid('param').id);
        if (!story) throw notFound('story');
        const rows = await listComments(deps.db, story.id);
        return c.json({ items: rows.map((r) => ({ id: r.id, author: r.author, body: r.body, origin: r.origin, createdAt: r.createdAt.toISOString(), updatedAt: r.updatedAt.toISOString() })) }, 200);
      },
    );
}
