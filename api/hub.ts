import { createRoute, z } from '@hono/zod-openapi';
import { pushHistory } from '../db/deadletters';
import { addComment, createStory, deleteStory, editComment, ForeignCommentError, StaleVersionError, updateStory } from '../db/hub';
import { getProject } from '../db/projects';
import { getStory } from '../db/stories';
import type { ApiDeps } from './deps';
import { ApiError, ErrorBody, notFound } from './errors';
import { newRouter, security } from './router';
import { IdParam, json } from './schemas';
import { StoryView, storyView } from './stories';

const fields = {
  title: z.string().min(1).max(500),
  description: z.string().max(65_535),
  status: z.string().min(1).max(100),
  closed: z.boolean(),
  priority: z.string().min(1).max(100).nullable(),
  assignee: z.string().min(1).max(200).nullable(),
  labels: z.array(z.string().min(1).max(100)).max(100),
  customFields: z.record(z.string().min(1).max(100), z.string().max(10_000).nullable()),
};

const CreateStory = z
  .strictObject({ title: fields.title, ...Object.fromEntries(Object.entries(fields).filter(([k]) => k !== 'title').map(([k, v]) => [k, v.optional()])) })
  .openapi('CreateStory', { example: { title: 'Checkout fails on Safari', labels: ['bug'], priority: 'High' } });
const UpdateStory = z
  .strictObject({
    version: z.number().int().min(1).openapi({ description: 'The version you read; a stale one gets 409' }),
    ...Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, v.optional()])),
  })
  .openapi('UpdateStory', { example: { version: 3, title: 'Checkout fails on Safari 17' } });
const StatusChange = z.strictObject({ version: z.number().int().min(1), status: fields.status, closed: fields.closed.optional() }).openapi('StatusChange');
const Version = z.object({ version: z.coerce.number().int().min(1).openapi({ param: { name: 'version', in: 'query' } }) });
const NewComment = z.strictObject({ body: z.string().min(1).max(65_535), author: z.string().min(1).max(200).optional() }).openapi('NewComment');
const EditComment = z.strictObject({ body: z.string().min(1).max(65_535) }).openapi('EditComment', { example: { body: 'Fixed in 2.4.1 (was: 2.4.0) #customer' } });
const CommentView = z.object({ id: z.uuid(), storyId: z.uuid(), author: z.string(), body: z.string(), createdAt: z.string(), updatedAt: z.string() }).openapi('HubComment');
const CommentParams = z.object({ id: z.uuid().openapi({ param: { name: 'id', in: 'path' } }), commentId: z.uuid().openapi({ param: { name: 'commentId', in: 'path' } }) });
const commentView = (c: { id: string; storyId: string; author: string; body: string; createdAt: Date; updatedAt: Date }) =>
  ({ id: c.id, storyId: c.storyId, author: c.author, body: c.body, createdAt: c.createdAt.toISOString(), updatedAt: c.updatedAt.toISOString() });
const PushEntry = z.object({ bindingId: z.uuid(), storyVersion: z.number().int(), operation: z.string(), fields: z.array(z.string()), outcome: z.string(), error: z.string().nullable(), at: z.string() }).openapi('PushEntry');

const errors = { 400: json(ErrorBody, 'Invalid input'), 404: json(ErrorBody, 'Not found'), 409: json(ErrorBody, 'Stale version, or a comment owned by a remote') };

const stale = (err: unknown): never => {
  if (err instanceof StaleVersionError) throw new ApiError(409, 'stale_version', `Story has changed: current version is ${err.current}`, [{ path: 'version', message: `current version is ${err.current}` }]);
  throw err;
};

/** Hub writes: each stores the change and its outbox event in one transaction. */
export function hubRoutes(deps: ApiDeps) {
  return newRouter()
    .openapi(
      createRoute({ method: 'post', path: '/projects/{id}/stories', summary: 'Create a story', security, request: { params: IdParam, body: { content: { 'application/json': { schema: CreateStory } }, required: true } }, responses: { 201: json(StoryView, 'Created'), ...errors } }),
      async (c) => {
        const { id } = c.req.valid('param');
        if (!(await getProject(deps.db, id))) throw notFound('project');
        const body = c.req.valid('json') as { title: string };
        return c.json(storyView(await createStory(deps.db, id, body, c.get('tokenName'))), 201);
      },
    )
    .openapi(
      createRoute({ method: 'patch', path: '/stories/{id}', summary: 'Update a story (optimistic concurrency by version)', security, request: { params: IdParam, body: { content: { 'application/json': { schema: UpdateStory } }, required: true } }, responses: { 200: json(StoryView, 'Updated'), ...errors } }),
      async (c) => {
        const { version, ...changes } = c.req.valid('json') as { version: number };
        const story = await updateStory(deps.db, c.req.valid('param').id, version, changes, c.get('tokenName')).catch(stale);
        if (!story) throw notFound('story');
        return c.json(storyView(story), 200);
      },
    )
    .openapi(
      createRoute({ method: 'post', path: '/stories/{id}/status', summary: 'Change the status of a story', security, request: { params: IdParam, body: { content: { 'application/json': { schema: StatusChange } }, required: true } }, responses: { 200: json(StoryView, 'Updated'), ...errors } }),
      async (c) => {
        const { version, status, closed } = c.req.valid('json');
        const change = closed === undefined ? { status } : { status, closed };
        const story = await updateStory(deps.db, c.req.valid('param').id, version, change, c.get('tokenName')).catch(stale);
        if (!story) throw notFound('story');
        return c.json(storyView(story), 200);
      },
    )
    .openapi(
      createRoute({ method: 'delete', path: '/stories/{id}', summary: "Soft-delete a story (each binding's delete policy applies remotely)", security, request: { params: IdParam, query: Version }, responses: { 200: json(StoryView, 'Deleted'), ...errors } }),
      async (c) => {
        const story = await deleteStory(deps.db, c.req.valid('param').id, c.req.valid('query').version, c.get('tokenName')).catch(stale);
        if (!story) throw notFound('story');
        return c.json(storyView(story), 200);
      },
    )
    .openapi(
      createRoute({ method: 'post', path: '/stories/{id}/comments', summary: 'Add a comment', security, request: { params: IdParam, body: { content: { 'application/json': { schema: NewComment } }, required: true } }, responses: { 201: json(CommentView, 'Created'), ...errors } }),
      async (c) => {
        const { body, author } = c.req.valid('json');
        const comment = await addComment(deps.db, c.req.valid('param').id, body, author ?? c.get('tokenName'));
        if (!comment) throw notFound('story');
        return c.json(commentView(comment), 201);
      },
    )
    .openapi(
      createRoute({ method: 'patch', path: '/stories/{id}/comments/{commentId}', summary: 'Edit a hub comment (the edit goes to every remote it was sent to)', security, request: { params: CommentParams, body: { content: { 'application/json': { schema: EditComment } }, required: true } }, responses: { 200: json(CommentView, 'Edited'), ...errors } }),
      async (c) => {
        const { id, commentId } = c.req.valid('param');
        const comment = await editComment(deps.db, id, commentId, c.req.valid('json').body, c.get('tokenName')).catch((err: unknown) => {
          if (err instanceof ForeignCommentError) throw new ApiError(409, 'foreign_comment', 'This comment was pulled from a remote tracker; edit it there', [{ path: 'commentId', message: 'pulled from a remote tracker' }]);
          throw err;
        });
        if (!comment) throw notFound('comment');
        return c.json(commentView(comment), 200);
      },
    )
    .openapi(
      createRoute({ method: 'get', path: '/stories/{id}/pushes', summary: 'Push history of a story, newest first', security, request: { params: IdParam }, responses: { 200: json(z.object({ items: z.array(PushEntry) }), 'History'), 404: json(ErrorBody, 'Not found') } }),
      async (c) => {
        const story = await getStory(deps.db, c.req.valid('param').id);
        if (!story) throw notFound('story');
        const rows = await pushHistory(deps.db, story.id);
        return c.json({ items: rows.map((r) => ({ bindingId: r.bindingId, storyVersion: r.storyVersion, operation: r.operation, fields: r.fields, outcome: r.outcome, error: r.error, at: r.at.toISOString() })) }, 200);
      },
    );
}
