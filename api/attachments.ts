import { createRoute, z } from '@hono/zod-openapi';
import { addAttachment, getAttachment, listAttachments, type Attachment } from '../db/attachments';
import { getStory } from '../db/stories';
import { verifyFileSignature } from '../lib/file-links';
import type { ApiDeps } from './deps';
import { ApiError, ErrorBody, notFound } from './errors';
import { apiLimits, readUpload } from './limits';
import { newRouter, security } from './router';
import { IdParam, json } from './schemas';

const AttachmentView = z
  .object({
    id: z.uuid(), storyId: z.uuid(), name: z.string(), contentType: z.string(), size: z.number().int(), sha256: z.string(),
    origin: z.string().openapi({ description: "'hub', or the binding the file was pulled from" }), author: z.string(), createdAt: z.string(),
  })
  .openapi('Attachment');
export type AttachmentView = z.infer<typeof AttachmentView>;
const attachmentView = (a: Attachment) => ({
  id: a.id, storyId: a.storyId, name: a.name, contentType: a.contentType, size: a.size, sha256: a.sha256, origin: a.origin, author: a.author, createdAt: a.createdAt.toISOString(),
});

const UploadQuery = z.object({
  name: z
    .string()
    .min(1)
    .max(255)
    .refine((n) => !/[/\\]/.test(n) && ![...n].some((ch) => ch.charCodeAt(0) < 32), { message: 'a file name, without slashes or control characters' })
    .openapi({ param: { name: 'name', in: 'query' }, example: 'customer-trace.log' }),
});
const ContentQuery = z.object({
  sig: z.string().optional().openapi({ param: { name: 'sig', in: 'query' }, description: 'Signature from a link posted on a remote; replaces the bearer token for this one file' }),
  exp: z.string().optional().openapi({ param: { name: 'exp', in: 'query' }, description: 'Expiry of a posted link (unix seconds), covered by its signature' }),
});

/** Files on stories: uploaded raw, listed, served. The files rule of each binding decides where they go. */
export function attachmentRoutes(deps: ApiDeps) {
  const { uploadBytes } = apiLimits(deps.limits);
  return newRouter()
    .openapi(
      createRoute({
        method: 'post', path: '/stories/{id}/attachments', summary: 'Attach a file to a story (the request body is the file)', security,
        request: { params: IdParam, query: UploadQuery, body: { content: { 'application/octet-stream': { schema: z.string().openapi({ format: 'binary' }) } }, required: true } },
        responses: { 201: json(AttachmentView, 'Attached'), 400: json(ErrorBody, 'Invalid input'), 404: json(ErrorBody, 'Not found'), 413: json(ErrorBody, 'Too large') },
      }),
      async (c) => {
        const { id } = c.req.valid('param');
        const { name } = c.req.valid('query');
        const data = await readUpload(c, uploadBytes);
        if (data.byteLength === 0) throw new ApiError(400, 'invalid_request', 'Invalid body', [{ path: 'body', message: 'the file is empty' }]);
        const contentType = (c.req.header('content-type') ?? 'application/octet-stream').split(';')[0]!.trim() || 'application/octet-stream';
        const attachment = await addAttachment(deps.db, id, { name, contentType, data, author: c.get('tokenName') });
        if (!attachment) throw notFound('story');
        return c.json(attachmentView(attachment), 201);
      },
    )
    .openapi(
      createRoute({
        method: 'get', path: '/stories/{id}/attachments', summary: "A story's files", security, request: { params: IdParam },
        responses: { 200: json(z.object({ items: z.array(AttachmentView) }), 'Files'), 404: json(ErrorBody, 'Not found') },
      }),
      async (c) => {
        const story = await getStory(deps.db, c.req.valid('param').id);
        if (!story) throw notFound('story');
        return c.json({ items: (await listAttachments(deps.db, story.id)).map(attachmentView) }, 200);
      },
    )
    .openapi(
      createRoute({
        method: 'get', path: '/attachments/{id}/content', summary: 'Download a file (bearer token, or the signature of a posted link)', security,
        request: { params: IdParam, query: ContentQuery },
        responses: { 200: { description: 'The file', content: { 'application/octet-stream': { schema: z.string().openapi({ format: 'binary' }) } } }, 403: json(ErrorBody, 'Bad signature'), 404: json(ErrorBody, 'Not found') },
      }),
      async (c) => {
        const { id } = c.req.valid('param');
        const { sig, exp } = c.req.valid('query');
        // Without a bearer token, only a valid signature gets here (see bearerAuth).
        const signed = !c.get('tokenName');
        if (signed && !(sig && verifyFileSignature(deps.secretBox, id, { sig, exp }))) throw new ApiError(403, 'forbidden', 'Invalid or expired file link');
        const file = await getAttachment(deps.db, id);
        if (!file) throw notFound('attachment');
        // A posted link dies with its story too, not only with the file.
        if (signed && (await getStory(deps.db, file.storyId))?.deletedAt) throw notFound('attachment');
        return c.body(new Uint8Array(file.content), 200, {
          'content-type': file.contentType,
          'content-length': String(file.size),
          'content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(file.name)}`,
          'x-content-type-options': 'nosniff',
        });
      },
    );
}

