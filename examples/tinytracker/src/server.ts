/**
 * Tinytracker: a small JSON-over-HTTP issue tracker, so the connector has a real server to talk to in
 * tests and demos. Replace it with your tracker's API, or keep it as the double your tests run against. In memory, one process, token auth (`x-tinytracker-token`).
 *
 *   GET    /me                                     who the token is
 *   GET    /projects?offset=&limit=                {projects, total_count}
 *   GET    /items?project=&since=&q=&ref=&offset=&limit= {items, total, total_count} sorted by updatedAt, then id;
 *                                                   an ETag, and 304 on a matching If-None-Match
 *   POST   /items                                  {project?, title, description?, status?, ref?} → 201 item
 *   GET    /items/:id                              item (404 when unknown)
 *   PATCH  /items/:id                              {title?, description?, status?, version?}: 409 when `version` is stale
 *   DELETE /items/:id                              204
 *   GET    /items/:id/comments                     {comments}
 *   POST   /items/:id/comments                     {body} → 201 comment
 *   PATCH  /items/:id/comments/:cid                {body} → comment
 *
 * `updatedAt` has millisecond precision and never repeats within an item; `version` counts writes.
 * `q` finds items whose description contains the string. `ref` is an item's external reference: set on
 * create by an integration, shown nowhere in the tracker's UI, and found exactly with `?ref=` (where the
 * connector keeps its create marker).
 *
 * Webhooks: `setWebhook(url, secret)` makes every write (through the API or out of band) POST
 * `{"event": "item.created" | "item.updated" | "comment.created" | "comment.updated", "item": {"id", "project"}}`
 * to `url`, signed in `X-Tinytracker-Signature` (the hex HMAC-SHA256 of the body under `secret`).
 */
import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type TinytrackerStatus = 'open' | 'closed';

export interface TinytrackerItem {
  id: number;
  project: string;
  title: string;
  description: string;
  status: TinytrackerStatus;
  version: number;
  createdAt: string;
  updatedAt: string;
  author: string;
  /** The external reference an integration set on create (not shown to users). */
  ref?: string;
}

export interface TinytrackerComment {
  id: number;
  itemId: number;
  author: string;
  body: string;
  createdAt: string;
  updatedAt: string;
}

export interface Tinytracker {
  url: string;
  token: string;
  /** Creates `n` items (in `project`, default "demo") as another user; returns their ids. */
  seed(n: number, project?: string): number[];
  /** Edits an item out of band, as another user would; bumps its version and updatedAt. */
  edit(id: number, patch: Partial<Pick<TinytrackerItem, 'title' | 'description' | 'status'>>): TinytrackerItem;
  /** A fresh, empty project; returns its key. */
  createProject(key?: string): string;
  item(id: number): TinytrackerItem | undefined;
  items(project?: string): TinytrackerItem[];
  /** Sends a signed webhook for every write from now on (null: stop). */
  setWebhook(url: string | null, secret?: string): void;
  /** Waits for the webhooks sent so far to be answered; returns their status codes. */
  settleWebhooks(): Promise<number[]>;
  close(): Promise<void>;
}

export interface TinytrackerOptions {
  port?: number;
  host?: string;
  token?: string;
}

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

const MAX_BODY = 2 * 1024 * 1024;
const isStatus = (value: unknown): value is TinytrackerStatus => value === 'open' || value === 'closed';

export async function startTinytracker(options: TinytrackerOptions = {}): Promise<Tinytracker> {
  const token = options.token ?? randomBytes(12).toString('hex');
  const items = new Map<number, TinytrackerItem>();
  const comments = new Map<number, TinytrackerComment[]>();
  const projects = new Set<string>(['demo']);
  let nextItemId = 1;
  let nextCommentId = 1;
  let lastStamp = 0;

  /** Now, strictly increasing: two writes never share an updatedAt. */
  const stamp = (): string => {
    lastStamp = Math.max(Date.now(), lastStamp + 1);
    return new Date(lastStamp).toISOString();
  };

  let webhook: { url: string; secret: string } | null = null;
  const deliveries: Array<Promise<number>> = [];
  /** A signed delivery of one write, sent in the background (a hint: the receiver reads the item back). */
  const notify = (event: string, item: TinytrackerItem) => {
    if (!webhook) return;
    const body = JSON.stringify({ event, item: { id: item.id, project: item.project } });
    const signature = createHmac('sha256', webhook.secret).update(body).digest('hex');
    deliveries.push(fetch(webhook.url, {
      method: 'POST', body,
      headers: { 'content-type': 'application/json', 'x-tinytracker-signature': signature, 'x-tinytracker-delivery': randomUUID() },
    }).then((res) => res.status, () => 0));
  };
  const create = (fields: { project: string; title: string; description: string; status: TinytrackerStatus; author: string; ref?: string }): TinytrackerItem => {
    projects.add(fields.project);
    const now = stamp();
    const item: TinytrackerItem = { id: nextItemId++, ...fields, version: 1, createdAt: now, updatedAt: now };
    items.set(item.id, item);
    comments.set(item.id, []);
    notify('item.created', item);
    return item;
  };

  const change = (item: TinytrackerItem, patch: Partial<Pick<TinytrackerItem, 'title' | 'description' | 'status'>>): TinytrackerItem => {
    if (patch.title !== undefined) item.title = patch.title;
    if (patch.description !== undefined) item.description = patch.description;
    if (patch.status !== undefined) item.status = patch.status;
    item.version += 1;
    item.updatedAt = stamp();
    notify('item.updated', item);
    return item;
  };

  const sorted = (list: TinytrackerItem[]) => list.sort((a, b) => a.updatedAt.localeCompare(b.updatedAt) || a.id - b.id);

  function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY) reject(new HttpError(413, 'body too large'));
        else chunks.push(chunk);
      });
      req.on('end', () => {
        if (size === 0) return resolve({});
        try {
          const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
          resolve(parsed as Record<string, unknown>);
        } catch {
          reject(new HttpError(400, 'body must be a JSON object'));
        }
      });
      req.on('error', reject);
    });
  }

  const intParam = (value: string | null, fallback: number, max: number): number => {
    if (value === null || value === '') return fallback;
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new HttpError(400, `bad integer ${JSON.stringify(value)}`);
    return Math.min(n, max);
  };

  const optionalString = (body: Record<string, unknown>, key: string): string | undefined => {
    const value = body[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'string') throw new HttpError(422, `${key} must be a string`);
    return value;
  };

  const optionalStatus = (body: Record<string, unknown>): TinytrackerStatus | undefined => {
    const value = body.status;
    if (value === undefined) return undefined;
    if (!isStatus(value)) throw new HttpError(422, 'status must be "open" or "closed"');
    return value;
  };

  function findItem(id: string | undefined): TinytrackerItem {
    const item = items.get(Number(id));
    if (!item) throw new HttpError(404, `item ${id} not found`);
    return item;
  }

  function send(res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void {
    const text = body === undefined ? '' : JSON.stringify(body);
    res.writeHead(status, { ...(body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' }), ...headers });
    res.end(text);
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.headers['x-tinytracker-token'] !== token) throw new HttpError(401, 'missing or bad x-tinytracker-token');
    const url = new URL(req.url ?? '/', 'http://tinytracker.local');
    const parts = url.pathname.split('/').filter(Boolean);
    const method = req.method ?? 'GET';
    const [head, id, sub, cid] = parts;

    if (head === 'me' && parts.length === 1 && method === 'GET') return send(res, 200, { login: 'tinytracker-bot' });

    if (head === 'projects' && parts.length === 1 && method === 'GET') {
      const all = [...projects].sort();
      const offset = intParam(url.searchParams.get('offset'), 0, Number.MAX_SAFE_INTEGER);
      const limit = intParam(url.searchParams.get('limit'), 50, 100);
      return send(res, 200, { projects: all.slice(offset, offset + limit).map((key) => ({ key, name: key })), total_count: all.length });
    }

    if (head !== 'items') throw new HttpError(404, 'not found');

    if (parts.length === 1 && method === 'GET') {
      const project = url.searchParams.get('project');
      const since = url.searchParams.get('since');
      const q = url.searchParams.get('q');
      const ref = url.searchParams.get('ref');
      const sinceMs = since ? Date.parse(since) : -Infinity;
      if (Number.isNaN(sinceMs)) throw new HttpError(400, 'since must be an ISO 8601 instant');
      const offset = intParam(url.searchParams.get('offset'), 0, Number.MAX_SAFE_INTEGER);
      const limit = intParam(url.searchParams.get('limit'), 50, 100);
      const matching = sorted([...items.values()].filter((item) =>
        (project === null || item.project === project)
        && Date.parse(item.updatedAt) >= sinceMs
        && (q === null || item.description.includes(q) || item.title.includes(q))
        && (ref === null || item.ref === ref)));
      const body = { items: matching.slice(offset, offset + limit), total: matching.length, total_count: matching.length };
      const etag = `"${createHash('sha256').update(JSON.stringify(body)).digest('base64url').slice(0, 27)}"`;
      if (req.headers['if-none-match'] === etag) return send(res, 304, undefined, { etag });
      return send(res, 200, body, { etag });
    }

    if (parts.length === 1 && method === 'POST') {
      const body = await readBody(req);
      const title = optionalString(body, 'title');
      if (!title) throw new HttpError(422, 'title is required');
      const ref = optionalString(body, 'ref');
      const item = create({
        project: optionalString(body, 'project') ?? 'demo',
        title,
        description: optionalString(body, 'description') ?? '',
        status: optionalStatus(body) ?? 'open',
        author: 'tinytracker-bot',
        ...(ref ? { ref } : {}),
      });
      return send(res, 201, item);
    }

    if (parts.length === 2) {
      const item = findItem(id);
      if (method === 'GET') return send(res, 200, item);
      if (method === 'DELETE') {
        items.delete(item.id);
        comments.delete(item.id);
        return send(res, 204);
      }
      if (method === 'PATCH') {
        const body = await readBody(req);
        if (body.version !== undefined && body.version !== item.version) {
          throw new HttpError(409, `item ${item.id} is at version ${item.version}, not ${String(body.version)}`);
        }
        const patch: Partial<Pick<TinytrackerItem, 'title' | 'description' | 'status'>> = {};
        const title = optionalString(body, 'title');
        const description = optionalString(body, 'description');
        const status = optionalStatus(body);
        if (title !== undefined) patch.title = title;
        if (description !== undefined) patch.description = description;
        if (status !== undefined) patch.status = status;
        return send(res, 200, change(item, patch));
      }
    }

    if (sub === 'comments' && (parts.length === 3 || parts.length === 4)) {
      const item = findItem(id);
      const list = comments.get(item.id) ?? [];
      if (parts.length === 3 && method === 'GET') return send(res, 200, { comments: list });
      if (parts.length === 3 && method === 'POST') {
        const text = optionalString(await readBody(req), 'body');
        if (text === undefined) throw new HttpError(422, 'body is required');
        const now = stamp();
        const comment: TinytrackerComment = { id: nextCommentId++, itemId: item.id, author: 'tinytracker-bot', body: text, createdAt: now, updatedAt: now };
        list.push(comment);
        notify('comment.created', item);
        return send(res, 201, comment);
      }
      if (parts.length === 4 && method === 'PATCH') {
        const comment = list.find((c) => c.id === Number(cid));
        if (!comment) throw new HttpError(404, `comment ${cid} not found`);
        const text = optionalString(await readBody(req), 'body');
        if (text === undefined) throw new HttpError(422, 'body is required');
        comment.body = text;
        comment.updatedAt = stamp();
        notify('comment.updated', item);
        return send(res, 200, comment);
      }
    }
    throw new HttpError(405, `${method} ${url.pathname} is not supported`);
  }

  const server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      const status = error instanceof HttpError ? error.status : 500;
      const message = error instanceof Error ? error.message : String(error);
      if (!res.headersSent) send(res, status, { error: message });
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;

  return {
    url: `http://${address}:${port}`,
    token,
    seed(n, project = 'demo') {
      return Array.from({ length: n }, (_, i) => create({ project, title: `Seeded item ${nextItemId} (${i + 1} of ${n})`, description: 'Seeded by Tinytracker', status: 'open', author: 'alice' }).id);
    },
    edit(id, patch) {
      const item = items.get(id);
      if (!item) throw new Error(`Tinytracker: no item ${id}`);
      return change(item, patch);
    },
    createProject(key = `p-${randomBytes(4).toString('hex')}`) {
      projects.add(key);
      return key;
    },
    item: (id) => items.get(id),
    items: (project) => sorted([...items.values()].filter((item) => project === undefined || item.project === project)),
    setWebhook(url, secret = '') {
      webhook = url === null ? null : { url, secret };
    },
    settleWebhooks: () => Promise.all(deliveries),
    close: () => new Promise<void>((resolve, reject) => {
      server.closeAllConnections();
      server.close((error) => (error ? reject(error) : resolve()));
    }),
  };
}
