/**
 * Jira's REST routes over the store, for one deployment: Cloud answers REST v3 (and 410 on the retired
 * `/rest/api/{2,3}/search`), Data Center answers REST v2. Paths and bodies follow Atlassian's documented
 * contract; responses are checked against a published model of it in test/jira-double.test.ts.
 */
import { createHash } from 'node:crypto';
import { readFields, readRichText } from './fields';
import { JqlError, parseJql, runJql } from './jql';
import { metadataRoutes } from './metadata-routes';
import { checkRequest } from './requests';
import { renderAttachment, renderComment, renderFields, renderHistory, renderIssue, renderProject, renderTransition, renderUser, type RenderContext } from './render';
import type { AttachmentRecord, IssueRecord, Store } from './store';
import type { Deployment } from './types';

export interface Reply { status: number; body?: unknown; bytes?: Buffer; headers?: Record<string, string> }
export interface Call { method: string; url: URL; base: string; body: unknown; raw: Buffer; headers: Record<string, string | string[] | undefined> }
type Handler = (call: Call, ctx: RenderContext, params: string[]) => Reply | Promise<Reply>;

export const ok = (body: unknown, status = 200): Reply => ({ status, body });
export const noContent = (): Reply => ({ status: 204 });
export const errorReply = (status: number, errorMessages: string[], errors: Record<string, string> = {}): Reply => ({ status, body: { errorMessages, errors } });
/** A comment with no text: an empty wiki string, or an ADF document with nothing in it. */
const isEmpty = (body: unknown): boolean => (typeof body === 'string' ? body.trim() === '' : typeof body === 'object' && body !== null && 'type' in body && !JSON.stringify(body).includes('"text"'));
const notFoundIssue = () => errorReply(404, ['Issue does not exist or you do not have permission to see it.']);

const csv = (v: unknown): string[] | undefined => (Array.isArray(v) ? v.map(String) : typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : undefined);
const int = (v: unknown, fallback: number): number => {
  const n = typeof v === 'number' ? v : Number.parseInt(String(v ?? ''), 10);
  return Number.isFinite(n) && n >= 0 ? n : fallback;
};
/** Query parameters of a GET, or the JSON body of a POST (search accepts both). */
const params = (call: Call): Record<string, unknown> =>
  call.method === 'POST' && typeof call.body === 'object' && call.body !== null ? (call.body as Record<string, unknown>) : Object.fromEntries(call.url.searchParams);

export interface RouterOptions { store: Store; deployment: Deployment; maxAttachmentBytes: number }

export function createRoutes({ store, deployment, maxAttachmentBytes }: RouterOptions) {
  const withIssue = (h: (call: Call, ctx: RenderContext, rec: IssueRecord, rest: string[]) => Reply | Promise<Reply>): Handler => (call, ctx, [idOrKey = '', ...rest]) => {
    const rec = store.issue(decodeURIComponent(idOrKey));
    return rec ? h(call, ctx, rec, rest) : notFoundIssue();
  };

  function search(call: Call): { hits: IssueRecord[]; fields: string[] | undefined; properties: string[] } | Reply {
    const p = params(call);
    if (typeof p.jql !== 'string') return errorReply(400, ['The JQL query is required.']);
    try {
      const hits = runJql(store.searchable(), parseJql(p.jql, { indexedProperties: store.indexedProperties, viewer: store.viewer }));
      return { hits, fields: csv(p.fields), properties: csv(p.properties) ?? [] };
    } catch (error) {
      if (error instanceof JqlError) return errorReply(400, [error.message]);
      throw error;
    }
  }

  /** Cloud's enhanced search: opaque `nextPageToken`, `isLast`, no total. */
  const searchJql: Handler = (call, ctx) => {
    const found = search(call);
    if ('status' in found) return found;
    const p = params(call);
    const digest = createHash('sha1').update(String(p.jql)).digest('hex').slice(0, 12);
    let offset = 0;
    if (typeof p.nextPageToken === 'string' && p.nextPageToken !== '') {
      const token = /^([0-9a-f]{12})\.(\d+)$/.exec(Buffer.from(p.nextPageToken, 'base64url').toString());
      if (!token || token[1] !== digest) return errorReply(400, ['The provided next page token is invalid or expired.']);
      offset = Number(token[2]);
    }
    const idOnly = found.fields !== undefined && found.fields.every((f) => f === 'id' || f === 'key');
    const max = Math.min(int(p.maxResults, 50), idOnly ? 5000 : 100) || 50;
    const page = found.hits.slice(offset, offset + max);
    const more = offset + max < found.hits.length;
    return ok({
      issues: page.map((rec) => (idOnly ? { id: rec.id, key: rec.key } : renderIssue(ctx, rec, found.fields, found.properties))),
      isLast: !more,
      ...(more ? { nextPageToken: Buffer.from(`${digest}.${offset + max}`).toString('base64url') } : {}),
    });
  };

  /** Data Center's search: startAt / maxResults / total. */
  const searchOffset: Handler = (call, ctx) => {
    const found = search(call);
    if ('status' in found) return found;
    const p = params(call);
    const startAt = int(p.startAt, 0);
    const maxResults = Math.min(int(p.maxResults, 50), 1000) || 50;
    return ok({
      expand: 'schema,names', startAt, maxResults, total: found.hits.length,
      issues: found.hits.slice(startAt, startAt + maxResults).map((rec) => renderIssue(ctx, rec, found.fields, found.properties)),
    });
  };

  const gone = () => errorReply(410, ['The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046']);

  const routes: Array<[string, RegExp, Handler]> = [
    ['GET', /^\/myself$/, (_call, ctx) => ok({ ...renderUser(ctx, store.viewer), ...(deployment === 'cloud' ? { locale: 'en_US' } : {}) })],
    ['GET', /^\/project\/search$/, (call, ctx) => {
      if (deployment !== 'cloud') return errorReply(404, ['null for uri: /rest/api/2/project/search']);
      const all = [...store.projects.values()];
      const startAt = int(call.url.searchParams.get('startAt'), 0);
      const maxResults = Math.min(int(call.url.searchParams.get('maxResults'), 50), 100) || 50;
      const isLast = startAt + maxResults >= all.length;
      const next = new URL(call.url);
      next.searchParams.set('startAt', String(startAt + maxResults));
      return ok({
        self: call.url.href, ...(isLast ? {} : { nextPage: next.href }), maxResults, startAt, total: all.length, isLast,
        values: all.slice(startAt, startAt + maxResults).map((p) => renderProject(ctx, p)),
      });
    }],
    ['GET', /^\/project$/, (_call, ctx) => ok([...store.projects.values()].map((p) => renderProject(ctx, p)))],
    ['GET', /^\/field$/, (_call, ctx) => ok(renderFields(ctx))],
    ['GET', /^\/search\/jql$/, searchJql],
    ['POST', /^\/search\/jql$/, searchJql],
    ['GET', /^\/search$/, deployment === 'cloud' ? gone : searchOffset],
    ['POST', /^\/search$/, deployment === 'cloud' ? gone : searchOffset],
    ['POST', /^\/issue$/, (call, ctx) => {
      const body = call.body as { fields?: unknown; properties?: unknown };
      const parsed = readFields(store, deployment, ctx.version, body.fields);
      if (!parsed.ok) return errorReply(400, [], parsed.errors);
      const properties = Array.isArray(body.properties) ? (body.properties as Array<{ key?: unknown; value?: unknown }>) : [];
      if (properties.some((p) => typeof p.key !== 'string' || p.key.length > 255)) return errorReply(400, ['The property key must be a string of at most 255 characters.']);
      const { project, ...fields } = parsed.value;
      const rec = store.create(project ?? '', { summary: '', ...fields, custom: fields.custom ?? {}, properties: new Map(properties.map((p) => [String(p.key), p.value])) }, store.viewer);
      return ok({ id: rec.id, key: rec.key, self: `${ctx.base}/rest/api/${ctx.version}/issue/${rec.id}` }, 201);
    }],
    ['GET', /^\/issue\/([^/]+)$/, withIssue((call, ctx, rec) => {
      const issue = renderIssue(ctx, rec, csv(call.url.searchParams.get('fields') ?? undefined) ?? ['*all'], csv(call.url.searchParams.get('properties') ?? undefined));
      // Data Center has no changelog operation: the issue carries it with expand=changelog.
      const expanded = (call.url.searchParams.get('expand') ?? '').split(',').includes('changelog');
      const histories = rec.changelog.map((h) => renderHistory(ctx, h));
      return ok(expanded ? { ...issue, changelog: { startAt: 0, maxResults: histories.length, total: histories.length, histories } } : issue);
    })],
    ['GET', /^\/issue\/([^/]+)\/changelog$/, withIssue((call, ctx, rec) => {
      if (deployment !== 'cloud') return errorReply(404, [`null for uri: ${call.url.pathname}`]);
      const startAt = int(call.url.searchParams.get('startAt'), 0);
      const maxResults = Math.min(int(call.url.searchParams.get('maxResults'), 100), 100) || 100;
      const all = rec.changelog.map((h) => renderHistory(ctx, h));
      const isLast = startAt + maxResults >= all.length;
      return ok({ self: call.url.href, ...(isLast ? {} : { nextPage: `${call.url.origin}${call.url.pathname}?startAt=${startAt + maxResults}&maxResults=${maxResults}` }), maxResults, startAt, total: all.length, isLast, values: all.slice(startAt, startAt + maxResults) });
    })],
    ['PUT', /^\/issue\/([^/]+)$/, withIssue((call, ctx, rec) => {
      // Jira lets only administrators (global or of the project) keep watchers from being told.
      if (call.url.searchParams.get('notifyUsers') === 'false' && !store.admin) return errorReply(403, ['To discard the user notification either admin or project admin permissions are required.']);
      const parsed = readFields(store, deployment, ctx.version, (call.body as { fields?: unknown }).fields ?? {}, { project: rec.project, issueType: rec.issueType });
      if (!parsed.ok) return errorReply(400, [], parsed.errors);
      const { custom, ...rest } = parsed.value;
      store.touch(rec, (r) => { Object.assign(r, rest); if (custom) Object.assign(r.custom, custom); });
      return noContent();
    })],
    ['DELETE', /^\/issue\/([^/]+)$/, withIssue((_call, _ctx, rec) => { store.remove(rec); return noContent(); })],
    ['GET', /^\/issue\/([^/]+)\/transitions$/, withIssue((call, ctx, rec) => {
      const withFields = (call.url.searchParams.get('expand') ?? '').split(',').includes('transitions.fields');
      return ok({ expand: 'transitions', transitions: store.transitions.filter((t) => t.to !== rec.status).map((t) => renderTransition(ctx, t, withFields)) });
    })],
    ['POST', /^\/issue\/([^/]+)\/transitions$/, withIssue((call, _ctx, rec) => {
      const body = call.body as { transition?: { id?: unknown }; fields?: Record<string, unknown> };
      const t = store.transitions.find((x) => x.id === String(body.transition?.id ?? '') && x.to !== rec.status);
      if (!t) return errorReply(400, [`Transition id '${String(body.transition?.id)}' is not valid for this issue.`]);
      const missing = t.requires.filter((f) => body.fields?.[f] === undefined);
      if (missing.length) return errorReply(400, [], Object.fromEntries(missing.map((f) => [f, `${f === 'resolution' ? 'Resolution' : f} is required.`])));
      store.touch(rec, (r) => { r.status = t.to; });
      return noContent();
    })],
    ['GET', /^\/issue\/([^/]+)\/comment$/, withIssue((call, ctx, rec) => {
      const startAt = int(call.url.searchParams.get('startAt'), 0);
      const maxResults = Math.min(int(call.url.searchParams.get('maxResults'), 5000), 5000) || 5000;
      return ok({ startAt, maxResults, total: rec.comments.length, comments: rec.comments.slice(startAt, startAt + maxResults).map((c) => renderComment(ctx, rec, c)) });
    })],
    ['POST', /^\/issue\/([^/]+)\/comment$/, withIssue((call, ctx, rec) => {
      const body = readRichText(ctx.version, (call.body as { body?: unknown }).body ?? null);
      if (body === null || isEmpty(body)) return errorReply(400, [], { comment: 'Comment body can not be empty!' });
      if (typeof body === 'object' && 'error' in body) return errorReply(400, [], { comment: body.error });
      return ok(renderComment(ctx, rec, store.addComment(rec, body, store.viewer)), 201);
    })],
    ['GET', /^\/issue\/([^/]+)\/comment\/(\d+)$/, withIssue((_call, ctx, rec, [id]) => {
      const c = rec.comments.find((x) => x.id === id);
      return c ? ok(renderComment(ctx, rec, c)) : errorReply(404, [`Can not find a comment for the id: ${id}.`]);
    })],
    ['PUT', /^\/issue\/([^/]+)\/comment\/(\d+)$/, withIssue((call, ctx, rec, [id]) => {
      const c = rec.comments.find((x) => x.id === id);
      if (!c) return errorReply(404, [`Can not find a comment for the id: ${id}.`]);
      const body = readRichText(ctx.version, (call.body as { body?: unknown }).body ?? null);
      if (body === null || (typeof body === 'object' && 'error' in body)) return errorReply(400, [], { comment: body === null ? 'Comment body can not be empty!' : body.error });
      store.touch(rec, () => Object.assign(c, { body, updated: store.stamp(), updateAuthor: store.viewer }));
      return ok(renderComment(ctx, rec, c));
    })],
    ['GET', /^\/issue\/([^/]+)\/properties\/([^/]+)$/, withIssue((_call, _ctx, rec, [key = '']) => {
      const name = decodeURIComponent(key);
      return rec.properties.has(name) ? ok({ key: name, value: rec.properties.get(name) }) : errorReply(404, [`The property with key '${name}' does not exist.`]);
    })],
    ['PUT', /^\/issue\/([^/]+)\/properties\/([^/]+)$/, withIssue((call, _ctx, rec, [key = '']) => {
      const name = decodeURIComponent(key);
      if (Buffer.byteLength(JSON.stringify(call.body)) > 32_768) return errorReply(400, ['The property value is too large: the maximum is 32768 bytes.']);
      const existed = rec.properties.has(name);
      // Properties are not fields: setting one does not move the issue's `updated`.
      rec.properties.set(name, call.body);
      return { status: existed ? 200 : 201 };
    })],
    ['POST', /^\/issue\/([^/]+)\/attachments$/, withIssue(async (call, ctx, rec) => {
      if (call.headers['x-atlassian-token'] !== 'no-check') return errorReply(403, ['XSRF check failed']);
      if (call.raw.byteLength > maxAttachmentBytes + 64 * 1024) return errorReply(413, [`The field file exceeds its maximum permitted size of ${maxAttachmentBytes} bytes.`]);
      const form = await new Response(call.raw, { headers: { 'content-type': String(call.headers['content-type'] ?? '') } }).formData().catch(() => undefined);
      const files = form ? form.getAll('file').filter((f): f is File => typeof f !== 'string') : [];
      if (files.length === 0) return errorReply(400, ['No file was attached under the form field "file".']);
      if (files.some((f) => f.size > maxAttachmentBytes)) return errorReply(413, [`The field file exceeds its maximum permitted size of ${maxAttachmentBytes} bytes.`]);
      const added: AttachmentRecord[] = [];
      for (const file of files) {
        const a: AttachmentRecord = { id: String(10_000 + store.all().reduce((n, r) => n + r.attachments.length, 0) + added.length), filename: file.name, mimeType: file.type || 'application/octet-stream', data: Buffer.from(await file.arrayBuffer()), author: store.viewer, created: store.stamp() };
        added.push(a);
      }
      store.touch(rec, (r) => r.attachments.push(...added));
      return ok(added.map((a) => renderAttachment(ctx, a)));
    })],
    ['GET', /^\/attachment\/content\/(\d+)$/, (_call, _ctx, [id]) => {
      const a = store.all().flatMap((r) => r.attachments).find((x) => x.id === id);
      return a ? { status: 200, bytes: a.data, headers: { 'content-type': a.mimeType } } : errorReply(404, ['The attachment does not exist.']);
    }],
    ...metadataRoutes(store, deployment),
  ];

  /** `/rest/api/{2|3}/…`: the deployment answers its own version only. */
  return async (call: Call): Promise<Reply> => {
    const m = /^\/rest\/api\/(2|3|latest)(\/.*)$/.exec(call.url.pathname);
    if (!m?.[1] || !m[2]) return errorReply(404, [`null for uri: ${call.url.pathname}`]);
    const version = m[1] === '3' || (m[1] === 'latest' && deployment === 'cloud') ? '3' : '2';
    const ctx: RenderContext = { base: call.base, version, deployment, store };
    if (deployment === 'cloud' && m[2] === '/search') return gone();
    if ((deployment === 'cloud') !== (version === '3')) return errorReply(404, [`This double serves REST v${deployment === 'cloud' ? 3 : 2} for ${deployment}`]);
    const refused = checkRequest(store, deployment === 'cloud', call.method, m[2], call.body);
    if (refused) return refused;
    for (const [method, pattern, handler] of routes) {
      const params = pattern.exec(m[2]);
      if (params && method === call.method) return handler(call, ctx, params.slice(1));
    }
    return errorReply(404, [`null for uri: ${call.url.pathname}`]);
  };
}
