/** GitLab's REST v4, as the capabilities use it: one typed session per connection use. */
import { type ConnectorContext, type HttpClient, type SourcePage, followLinks, isRemoteError, parseLinkHeader, z } from '@trackbridge/sdk';
import type { GitLabConfig, GitLabOptions, GitLabSecrets } from './config.js';
import { mentionText } from './mentions.js';
import {
  type GitLabIssue, type GitLabNote, type GitLabProject, type GitLabUser,
  issueShape, labelShape, memberShape, milestoneShape, noteShape, projectShape, userShape,
} from './shapes.js';

export type Ctx = ConnectorContext<GitLabConfig, GitLabSecrets, GitLabOptions>;

/** A project's id in a path: its `group/sub/project` path, URL-encoded as one segment. */
export const projectPath = (scope: string) => `/api/v4/projects/${encodeURIComponent(scope)}`;
const issuePath = (scope: string, iid: string) => `${projectPath(scope)}/issues/${encodeURIComponent(iid)}`;

/** A listing page's cursor, opaque to the engine: GitLab's keyset cursor, or a page number where keyset is not offered. */
type PageCursor = { keyset: string } | { page: number };
const encodeCursor = (c: PageCursor) => ('keyset' in c ? `k:${c.keyset}` : `p:${c.page}`);
const decodeCursor = (s: string | null): PageCursor | null => (s === null ? null : s.startsWith('k:') ? { keyset: s.slice(2) } : { page: Number(s.slice(2)) || 1 });

/** The body GitLab answers a keyset request it cannot serve with (older self-managed versions, unsupported orderings). */
const keysetRefused = (error: unknown) => isRemoteError(error) && error.status === 405;

export function gitLabSession(ctx: Ctx) {
  const http: HttpClient = ctx.http;
  const { pageSize } = ctx.config;
  /** Set once the instance refused keyset pagination on issues: this session pages by number instead. */
  let offsetOnly = false;

  async function getIssue(scope: string, iid: string): Promise<GitLabIssue | null> {
    if (!/^\d+$/.test(iid)) return null;
    try {
      return await http.json({ path: issuePath(scope, iid) }, issueShape);
    } catch (error) {
      if (isRemoteError(error) && error.status === 404) return null;
      throw error;
    }
  }

  /**
   * One page of the project's issues updated at or after `since`, oldest update first. Keyset
   * pagination (recent GitLab versions offer it for issues) follows the `cursor` of the Link header; an instance
   * that answers 405 to it is read by page number.
   */
  async function issuesPage(scope: string, q: { since: string | null; after: string | null; ifNoneMatch: string | null }): Promise<SourcePage<GitLabIssue>> {
    const at = decodeCursor(q.after);
    const base = { order_by: 'updated_at', sort: 'asc', per_page: pageSize, ...(q.since ? { updated_after: q.since } : {}) };
    const keyset = !offsetOnly && !(at && 'page' in at);
    const query = keyset
      ? { ...base, pagination: 'keyset', ...(at && 'keyset' in at ? { cursor: at.keyset } : {}) }
      : { ...base, page: at && 'page' in at ? at.page : 1 };
    let res;
    try {
      res = await http.send({ path: `${projectPath(scope)}/issues`, query, ifNoneMatch: q.ifNoneMatch }, z.array(issueShape));
    } catch (error) {
      if (!keyset || !keysetRefused(error)) throw error;
      offsetOnly = true;
      return issuesPage(scope, { ...q, after: at && 'keyset' in at ? null : q.after });
    }
    if (res.notModified) return { notModified: true };
    const next = parseLinkHeader(res.headers.get('link')).next;
    const nextCursor = keyset ? (next ? new URL(next).searchParams.get('cursor') : null) : (Number(res.headers.get('x-next-page')) || null);
    const endCursor = nextCursor === null ? null : encodeCursor(typeof nextCursor === 'number' ? { page: nextCursor } : { keyset: nextCursor });
    const total = Number(res.headers.get('x-total'));
    return { notModified: false, items: res.data, hasNext: endCursor !== null, etag: res.etag, endCursor, ...(Number.isFinite(total) && res.headers.has('x-total') ? { total } : {}) };
  }

  /** Every page of a listing, checked item by item. */
  async function all<T>(path: string, query: Record<string, string | number | boolean>, shape: z.ZodType<T>): Promise<T[]> {
    const out: T[] = [];
    for await (const page of followLinks(http, { path, query: { per_page: 100, ...query } }, z.array(shape))) out.push(...page.data);
    return out;
  }

  async function notes(scope: string, iid: string): Promise<GitLabNote[]> {
    return all(`${issuePath(scope, iid)}/notes`, { sort: 'asc', order_by: 'created_at' }, noteShape);
  }

  const userIds = new Map<string, number | null>();
  /** A user's id by username, asked once per session; null when the instance has no such user. */
  async function userId(username: string): Promise<number | null> {
    if (!userIds.has(username)) {
      const found = await http.json({ path: '/api/v4/users', query: { username } }, z.array(userShape));
      userIds.set(username, found.find((u) => u.username.toLowerCase() === username.toLowerCase())?.id ?? null);
    }
    return userIds.get(username) ?? null;
  }

  const milestoneIds = new Map<string, Map<string, number>>();
  /** The project's milestones by title (active and closed), asked once per session and scope. */
  async function milestoneId(scope: string, title: string): Promise<number | null> {
    let byTitle = milestoneIds.get(scope);
    if (!byTitle) {
      byTitle = new Map((await all(`${projectPath(scope)}/milestones`, {}, milestoneShape)).map((m) => [m.title.toLowerCase(), m.id]));
      milestoneIds.set(scope, byTitle);
    }
    return byTitle.get(title.toLowerCase()) ?? null;
  }

  return {
    http,
    ctx,
    /** Mentions in descriptions and notes, through the binding's user map. */
    text: mentionText(ctx.binding?.users ?? []),
    getIssue,
    issuesPage,
    notes,
    userId,
    milestoneId,
    me: () => http.json({ path: '/api/v4/user' }, userShape) as Promise<GitLabUser>,
    projects: () => all('/api/v4/projects', { membership: true, simple: true, archived: false, order_by: 'id', sort: 'asc' }, projectShape) as Promise<GitLabProject[]>,
    labels: (scope: string) => all(`${projectPath(scope)}/labels`, {}, labelShape),
    members: (scope: string) => all(`${projectPath(scope)}/members/all`, {}, memberShape),
    milestones: (scope: string) => all(`${projectPath(scope)}/milestones`, { state: 'active' }, milestoneShape),
    createIssue: (scope: string, body: Record<string, unknown>) => http.json({ method: 'POST', path: `${projectPath(scope)}/issues`, body }, issueShape),
    updateIssue: (scope: string, iid: string, body: Record<string, unknown>) => http.json({ method: 'PUT', path: issuePath(scope, iid), body }, issueShape),
    deleteIssue: (scope: string, iid: string) => http.send({ method: 'DELETE', path: issuePath(scope, iid) }),
    searchIssues: (scope: string, search: string) =>
      http.json({ path: `${projectPath(scope)}/issues`, query: { search, in: 'description', per_page: 20 } }, z.array(issueShape)),
    addNote: (scope: string, iid: string, body: string) => http.json({ method: 'POST', path: `${issuePath(scope, iid)}/notes`, body: { body } }, noteShape),
    editNote: (scope: string, iid: string, noteId: string, body: string) =>
      http.json({ method: 'PUT', path: `${issuePath(scope, iid)}/notes/${encodeURIComponent(noteId)}`, body: { body } }, noteShape),
  };
}

export type GitLabSession = ReturnType<typeof gitLabSession>;
