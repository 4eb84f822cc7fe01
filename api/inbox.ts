import { createRoute, z } from '@hono/zod-openapi';
import { getBinding } from '../db/bindings';
import { dismissInboxEntry, listInbox } from '../db/inbox';
import { importInboxEntry } from '../sync/pull-create';
import type { ApiDeps } from './deps';
import { ErrorBody, notFound } from './errors';
import { newRouter, security } from './router';
import { IdParam, json } from './schemas';

const Entry = z
  .object({ id: z.uuid(), remoteId: z.string(), remoteKey: z.string(), title: z.string(), url: z.string().nullable(), receivedAt: z.string() })
  .openapi('InboxEntry');
export type InboxEntryView = z.infer<typeof Entry>;
const EntryParams = IdParam.extend({ entryId: z.uuid().openapi({ param: { name: 'entryId', in: 'path' } }) });

/** The StoryQueue: remote items waiting for review on bindings whose import policy is `review`. */
export function inboxRoutes(deps: ApiDeps) {
  const binding = async (id: string) => {
    const b = await getBinding(deps.db, id);
    if (!b || b.state === 'deleted') throw notFound('binding');
    return b;
  };
  return newRouter()
    .openapi(
      createRoute({ method: 'get', path: '/{id}/inbox', summary: 'Pending remote items of a review binding', security, request: { params: IdParam }, responses: { 200: json(z.object({ items: z.array(Entry) }), 'Inbox'), 404: json(ErrorBody, 'Not found') } }),
      async (c) => {
        const b = await binding(c.req.valid('param').id);
        const rows = await listInbox(deps.db, b.id);
        const items = rows.map((r) => {
          const item = r.item as { fields?: { title?: string }; url?: string };
          return { id: r.id, remoteId: r.remoteId, remoteKey: r.remoteKey, title: item.fields?.title ?? '', url: item.url ?? null, receivedAt: r.receivedAt.toISOString() };
        });
        return c.json({ items }, 200);
      },
    )
    .openapi(
      createRoute({ method: 'post', path: '/{id}/inbox/{entryId}/import', summary: 'Import an inbox entry as a story', security, request: { params: EntryParams }, responses: { 201: json(z.object({ storyId: z.uuid() }), 'Imported'), 404: json(ErrorBody, 'Not found or not pending') } }),
      async (c) => {
        const { id, entryId } = c.req.valid('param');
        const storyId = await importInboxEntry(deps.db, await binding(id), entryId);
        if (!storyId) throw notFound('pending inbox entry');
        return c.json({ storyId }, 201);
      },
    )
    .openapi(
      createRoute({ method: 'post', path: '/{id}/inbox/{entryId}/dismiss', summary: 'Dismiss an inbox entry', security, request: { params: EntryParams }, responses: { 200: json(z.object({ dismissed: z.boolean() }), 'Dismissed'), 404: json(ErrorBody, 'Not found or not pending') } }),
      async (c) => {
        const { id, entryId } = c.req.valid('param');
        if (!(await dismissInboxEntry(deps.db, (await binding(id)).id, entryId))) throw notFound('pending inbox entry');
        return c.json({ dismissed: true }, 200);
      },
    );
}
