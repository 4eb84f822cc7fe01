/** The Tinytracker connector: built only on `@trackbridge/sdk`, as any third-party connector is. */
import {
  type CommentWriter, type ConnectorContext, type ItemFields, type Reader, type RemoteComment, type RemoteItem, type WebhookDeclaration, type Writer,
  PermanentError, defineConnector, httpConfigFields, isRemoteError, paginateOffset, pullIncremental, stateMap, z,
} from '@trackbridge/sdk';

export const configSchema = z.strictObject({
  baseUrl: z.url({ protocol: /^https?$/ }).describe('The Tinytracker root, e.g. http://localhost:4010'),
  overlapSeconds: z.number().int().min(0).max(3600).default(2)
    .describe('How far before the newest update seen the next pull starts again'),
  pageSize: z.number().int().min(1).max(100).default(50).describe('Items per listing page'),
  ...httpConfigFields,
});
export const secretsSchema = z.strictObject({ token: z.string().min(1).describe('The x-tinytracker-token of the tracker') });

type Config = z.output<typeof configSchema>;
type Secrets = z.output<typeof secretsSchema>;
type Ctx = ConnectorContext<Config, Secrets>;

const itemShape = z.looseObject({
  id: z.number().int(),
  project: z.string(),
  title: z.string(),
  description: z.string(),
  status: z.enum(['open', 'closed']),
  version: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
  ref: z.string().optional(),
});
type Item = z.output<typeof itemShape>;
const listShape = z.looseObject({ items: z.array(itemShape), total: z.number().int().nonnegative() });
const commentShape = z.looseObject({ id: z.number().int(), author: z.string(), body: z.string(), createdAt: z.string(), updatedAt: z.string() });
const projectShape = z.looseObject({ key: z.string(), name: z.string() });

/**
 * The tracker's states as the hub's open/closed, both ways. List several per side if your tracker has
 * them (the first is where a bare "open" or "closed" goes); names match in any case.
 */
const states = stateMap({ open: 'open', closed: 'closed', service: 'Tinytracker' });

const toComment = (c: z.output<typeof commentShape>): RemoteComment => ({
  remoteId: String(c.id), author: c.author, body: c.body, createdAt: c.createdAt, updatedAt: c.updatedAt,
});

/** The typed API the capabilities share. */
function session(ctx: Ctx) {
  const { http } = ctx;
  const baseUrl = http.baseUrl;
  const toItem = ({ ref, ...item }: Item): RemoteItem => ({
    remoteId: String(item.id),
    key: `${item.project}-${item.id}`,
    url: `${baseUrl}/items/${item.id}`,
    createdAt: item.createdAt,
    updatedAt: item.updatedAt,
    fields: {
      title: item.title,
      description: item.description,
      ...states.toHub(item.status),
      priority: null,
      assignee: null,
      labels: [],
      customFields: {},
    },
    version: String(item.version),
    // The create marker lives in the item's external reference, where no user sees it or edits it away.
    ...(ref === undefined ? {} : { marker: ref }),
    raw: { ...item, description: item.description },
  });
  const inScope = (scope: string, item: Item | null): Item | null => (item && item.project === scope ? item : null);

  async function getItem(id: string): Promise<Item | null> {
    try {
      return await http.json({ path: `/items/${encodeURIComponent(id)}` }, itemShape);
    } catch (error) {
      if (isRemoteError(error) && error.status === 404) return null;
      throw error;
    }
  }

  return { http, toItem, inScope, getItem };
}
type Session = ReturnType<typeof session>;

/** Hub fields → the tracker's PATCH body. */
function toPatch(changes: Partial<ItemFields>): Record<string, string> {
  const patch: Record<string, string> = {};
  if (changes.title !== undefined) patch.title = changes.title;
  if (changes.description !== undefined) patch.description = changes.description;
  const status = states.toRemote(changes);
  if (status !== undefined) patch.status = status;
  return patch;
}

function reader({ http, toItem, inScope, getItem }: Session, ctx: Ctx): Reader {
  return {
    async testConnection() {
      try {
        const me = await http.json({ path: '/me' }, z.looseObject({ login: z.string() }));
        return { ok: true, account: me.login, message: `Authenticated to ${http.baseUrl} as ${me.login}` };
      } catch (error) {
        if (isRemoteError(error)) return { ok: false, message: error.message };
        throw error;
      }
    },

    async listScopes() {
      const scopes = [];
      for await (const page of paginateOffset(http, { path: '/projects' }, { itemsKey: 'projects', itemShape: projectShape, limit: 100 })) {
        for (const project of page.items) scopes.push({ id: project.key, name: project.name });
      }
      return [{ group: 'Tinytracker', scopes }];
    },

    pull(scope, cursor) {
      const limit = ctx.config.pageSize;
      return pullIncremental<Item>({
        // Offset paging within one `since` query; pullIncremental restarts `since` as it goes.
        async fetchPage({ since, page, ifNoneMatch }) {
          const offset = page * limit;
          const res = await http.send({ path: '/items', query: { project: scope, since, offset, limit }, ifNoneMatch }, listShape);
          if (res.notModified) return { notModified: true };
          const hasNext = res.data.items.length > 0 && offset + res.data.items.length < res.data.total;
          return { notModified: false, items: res.data.items, hasNext, etag: res.etag, total: res.data.total };
        },
        id: (item) => String(item.id),
        updatedAt: (item) => item.updatedAt,
        toItems: (raws) => raws.map(toItem),
        overlapMs: ctx.config.overlapSeconds * 1000,
        onInvalidCursor: (bad) => ctx.logger.warn({ scope, cursor: bad }, 'Tinytracker: unreadable pull cursor, starting a full listing'),
        label: `Tinytracker items of ${scope}`,
      }, cursor);
    },

    async getItem(scope, remoteId) {
      const item = inScope(scope, await getItem(remoteId));
      return item ? toItem(item) : null;
    },

    async listComments(_scope, remoteId, since) {
      const { comments } = await http.json({ path: `/items/${encodeURIComponent(remoteId)}/comments` }, z.looseObject({ comments: z.array(commentShape) }));
      const from = since ? Date.parse(since) : -Infinity;
      return comments.filter((c) => Date.parse(c.updatedAt) >= from).map(toComment);
    },
  };
}

function writer({ http, toItem, inScope, getItem }: Session): Writer {
  return {
    async createItem(scope, { fields, marker }) {
      const created = await http.json({
        method: 'POST',
        path: '/items',
        body: { project: scope, title: fields.title, description: fields.description, status: toPatch(fields).status ?? 'open', ref: marker },
      }, itemShape);
      return toItem(created);
    },

    /** The marker is the item's external reference: one exact query, no text search. */
    async findByMarker(scope, marker) {
      const { items } = await http.json({ path: '/items', query: { project: scope, ref: marker, limit: 1 } }, listShape);
      return items[0] ? toItem(items[0]) : null;
    },

    async updateItem(scope, remoteId, changes, version) {
      if (!inScope(scope, await getItem(remoteId))) throw new PermanentError(`Tinytracker item ${remoteId} is not in ${scope}`, 404);
      // A stale version answers 409, which the platform's HTTP client raises as a ConflictError.
      const body = { ...toPatch(changes), ...(version === undefined ? {} : { version: Number(version) }) };
      return toItem(await http.json({ method: 'PATCH', path: `/items/${encodeURIComponent(remoteId)}`, body }, itemShape));
    },

    // Tinytracker keeps no history of edits: nothing to report.
    editsSince: () => Promise.resolve({}),

    async deleteItem(_scope, remoteId) {
      try {
        await http.send({ method: 'DELETE', path: `/items/${encodeURIComponent(remoteId)}` });
      } catch (error) {
        if (isRemoteError(error) && error.status === 404) return;
        throw error;
      }
    },
  };
}

function comments({ http }: Session): CommentWriter {
  return {
    async addComment(_scope, remoteId, body) {
      return toComment(await http.json({ method: 'POST', path: `/items/${encodeURIComponent(remoteId)}/comments`, body: { body } }, commentShape));
    },
    async updateComment(_scope, remoteId, commentId, body) {
      const path = `/items/${encodeURIComponent(remoteId)}/comments/${encodeURIComponent(commentId)}`;
      return toComment(await http.json({ method: 'PATCH', path, body: { body } }, commentShape));
    },
  };
}

const deliveryShape = z.looseObject({ event: z.string(), item: z.looseObject({ id: z.number().int().positive(), project: z.string().min(1) }) });

/**
 * Tinytracker's webhooks: every write POSTs the item's id and project, signed with the connection's
 * webhook secret (`X-Tinytracker-Signature`, hex HMAC-SHA256 of the body). The platform verifies the
 * signature, then fetches the item through the pull path: the payload is a hint, never the data.
 */
const webhooks: WebhookDeclaration = {
  signature: { scheme: 'hmac-sha256', header: 'x-tinytracker-signature' },
  events: '`item.created`, `item.updated`, `comment.created`, `comment.updated`',
  deliveryHeader: 'x-tinytracker-delivery',
  read({ payload }) {
    const parsed = deliveryShape.safeParse(payload);
    if (!parsed.success) return { kind: 'ignored', reason: 'no event and item in the payload' };
    return { kind: 'item', remoteId: String(parsed.data.item.id), scope: parsed.data.item.project };
  },
};

export const tinytracker = defineConnector({
  slug: 'tinytracker',
  name: 'Tinytracker',
  description: 'Items of a Tinytracker project (the tracker trackbridge-plugin-tinytracker ships in src/server.ts).',
  logoUrl: 'https://example.com/tinytracker.svg',
  configSchema,
  secretsSchema,
  fields: ['title', 'description', 'status'],
  conditionalRequests: true,
  http: {
    service: 'Tinytracker',
    auth: { header: 'x-tinytracker-token', value: (secrets) => secrets.token },
    describeError: (body) => (typeof body === 'object' && body !== null && typeof (body as { error?: unknown }).error === 'string' ? (body as { error: string }).error : undefined),
  },
  webhooks,
  session,
  reader,
  writer,
  comments,
});
