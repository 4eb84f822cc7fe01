/**
 * A GitLab double for the connector's tests: REST v4 in memory, in one process, held to GitLab's
 * published contract (gitlab-contract.ts). Every request the connector sends is checked against the
 * operation's declared parameters, and every answer the double gives against the declared entity:
 * a parameter GitLab does not declare, or one of the wrong type, is refused with a 400 and recorded in
 * `violations`, which the tests require to stay empty. Never product code.
 *
 * What it models of GitLab's behaviour, from its documentation:
 * - `PRIVATE-TOKEN` or `Authorization: Bearer` auth (401 otherwise); deleting an issue takes the Owner
 *   role (403 for a Developer token);
 * - project ids as numbers or URL-encoded paths;
 * - offset pagination (`page`, `per_page` ≤ 100, `Link`, `X-Next-Page`, `X-Total`) and keyset
 *   pagination on issues ordered by `updated_at` (`pagination=keyset`, `cursor` in the `Link`), or a 405
 *   where an instance does not offer it (`keyset: false`);
 * - `updated_after` inclusive, `order_by=updated_at`, `sort=asc`;
 * - labels as a comma-separated string, created on first use; scoped `key::value` labels exclusive per
 *   scope (Premium); `weight` (Premium) a whole number from 0; `milestone_id` 0 to clear;
 *   `state_event` close/reopen; `assignee_ids` an array ([] clears);
 * - system notes on label, state, title and description changes, beside user notes; internal notes;
 * - weak ETags and 304 on a matching `If-None-Match` (Rack::ConditionalGet);
 * - `RateLimit-Limit`, `-Observed`, `-Remaining`, `-Reset` on every answer, 429 with `Retry-After` when spent;
 * - webhooks: `Issue Hook` and `Note Hook` with the secret in `X-Gitlab-Token`.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type GitLabContract, loadGitLabContract } from './gitlab-contract.js';

export interface DoubleUser { id: number; username: string; name: string }
interface Project { id: number; path: string; name: string; namespace: string; nextIid: number }
export interface DoubleIssue {
  id: number; iid: number; projectId: number; title: string; description: string | null; state: 'opened' | 'closed';
  createdAt: string; updatedAt: string; closedAt: string | null; labels: string[]; assigneeIds: number[];
  milestoneId: number | null; weight: number | null; authorId: number;
}
export interface DoubleNote { id: number; issueId: number; body: string; authorId: number; createdAt: string; updatedAt: string; system: boolean; internal: boolean }
interface Milestone { id: number; projectId: number; title: string; state: 'active' | 'closed' }

export interface GitLabDoubleOptions {
  /** Whether issues can be read with keyset pagination (GitLab 18.4+); false answers 405 as older instances do. */
  keyset?: boolean;
  /** Requests per minute before a 429 (default: plenty). */
  rateLimit?: number;
  /** Premium features (weight, exclusive scoped labels); Free answers issues without `weight`. */
  premium?: boolean;
  /**
   * A self-managed instance installed under a relative URL root (`/gitlab`): the API is served only
   * under it (`/gitlab/api/v4/…`), its `Link` headers name it, and `url` includes it.
   */
  relativeRoot?: string;
}

export interface GitLabDouble {
  url: string;
  /** A Developer's token: reads and writes, no issue deletion. */
  token: string;
  /** An Owner's token. */
  ownerToken: string;
  users: { alice: DoubleUser; bob: DoubleUser; bot: DoubleUser };
  /** Requests refused for breaking the published contract, and answers that broke it: must stay empty. */
  violations: string[];
  /** Every request, as `METHOD /path?query`. */
  log: string[];
  createProject(path?: string): string;
  milestone(project: string, title: string): number;
  seed(project: string, count: number): string[];
  /** Edits an issue as another user would (bob), moving its updated_at. */
  edit(project: string, iid: string, patch: { title?: string; description?: string; labels?: string[]; state?: 'opened' | 'closed' }): void;
  /** A note as another user (bob) would add it; `system` and `internal` as GitLab would mark them. */
  note(project: string, iid: string, body: string, opts?: { system?: boolean; internal?: boolean }): void;
  issue(project: string, iid: string): DoubleIssue | undefined;
  issues(project: string): DoubleIssue[];
  notes(project: string, iid: string): DoubleNote[];
  setWebhook(url: string | null, token?: string): void;
  settleWebhooks(): Promise<number[]>;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(readonly status: number, readonly body: unknown) {
    super(typeof body === 'string' ? body : JSON.stringify(body));
  }
}
const badRequest = (error: string) => new HttpError(400, { error });

export async function startGitLabDouble(options: GitLabDoubleOptions = {}): Promise<GitLabDouble> {
  const root = (options.relativeRoot ?? '').replace(/\/+$/, '');
  const contract: GitLabContract = await loadGitLabContract();
  const premium = options.premium ?? true;
  const keyset = options.keyset ?? true;
  const rateLimit = options.rateLimit ?? 100_000;
  const violations: string[] = [];
  const log: string[] = [];
  const users = {
    alice: { id: 1, username: 'alice', name: 'Alice Liddell' },
    bob: { id: 2, username: 'bob', name: 'Bob Marley' },
    bot: { id: 3, username: 'trackbridge-bot', name: 'trackbridge' },
  };
  const tokens = new Map([[`glpat-${randomUUID()}`, { user: users.bot, owner: false }], [`glpat-${randomUUID()}`, { user: users.alice, owner: true }]]);
  const [token, ownerToken] = [...tokens.keys()] as [string, string];
  const projects: Project[] = [];
  const issues: DoubleIssue[] = [];
  const notes: DoubleNote[] = [];
  const milestones: Milestone[] = [];
  const labels = new Map<number, Set<string>>();
  let ids = 1000;
  let lastStamp = 0;
  /** Strictly increasing, millisecond precision, as GitLab's timestamps are. */
  const stamp = () => {
    lastStamp = Math.max(Date.now(), lastStamp + 1);
    return new Date(lastStamp).toISOString();
  };
  let window = { start: Date.now(), used: 0 };
  let webhook: { url: string; token: string } | null = null;
  const deliveries: Promise<number>[] = [];

  const projectOf = (ref: string): Project => {
    const decoded = decodeURIComponent(ref);
    const project = /^\d+$/.test(decoded) ? projects.find((p) => p.id === Number(decoded)) : projects.find((p) => p.path.toLowerCase() === decoded.toLowerCase());
    if (!project) throw new HttpError(404, { message: '404 Project Not Found' });
    return project;
  };
  const issueOf = (project: Project, iid: string): DoubleIssue => {
    const issue = issues.find((i) => i.projectId === project.id && String(i.iid) === iid);
    if (!issue) throw new HttpError(404, { message: '404 Not found' });
    return issue;
  };
  const userJson = (u: DoubleUser) => ({ id: u.id, username: u.username, name: u.name, state: 'active', locked: false, avatar_url: null, web_url: `http://gitlab.test/${u.username}` });
  const userById = (id: number) => Object.values(users).find((u) => u.id === id)!;
  const milestoneJson = (m: Milestone) => ({
    id: m.id, iid: m.id - 5000, project_id: m.projectId, title: m.title, description: null, state: m.state,
    created_at: '2026-01-01T00:00:00.000Z', updated_at: '2026-01-01T00:00:00.000Z', due_date: null, start_date: null, expired: false, web_url: `http://gitlab.test/milestones/${m.id}`,
  });
  const issueJson = (i: DoubleIssue) => {
    const project = projects.find((p) => p.id === i.projectId)!;
    const milestone = milestones.find((m) => m.id === i.milestoneId);
    const assignees = i.assigneeIds.map((id) => userJson(userById(id)));
    return {
      id: i.id, iid: i.iid, project_id: i.projectId, title: i.title, description: i.description, state: i.state,
      created_at: i.createdAt, updated_at: i.updatedAt, closed_at: i.closedAt, closed_by: null,
      labels: [...i.labels], milestone: milestone ? milestoneJson(milestone) : null,
      assignees, assignee: assignees[0] ?? null, author: userJson(userById(i.authorId)), type: 'ISSUE', issue_type: 'issue',
      user_notes_count: notes.filter((n) => n.issueId === i.id && !n.system).length,
      merge_requests_count: 0, upvotes: 0, downvotes: 0, due_date: null, confidential: false, discussion_locked: null,
      web_url: `http://gitlab.test/${project.path}/-/issues/${i.iid}`,
      references: { short: `#${i.iid}`, relative: `#${i.iid}`, full: `${project.path}#${i.iid}` },
      time_stats: { time_estimate: 0, total_time_spent: 0, human_time_estimate: null, human_total_time_spent: null },
      task_completion_status: { count: 0, completed_count: 0 }, has_tasks: false, blocking_issues_count: 0,
      _links: { self: `http://gitlab.test/api/v4/projects/${project.id}/issues/${i.iid}`, notes: '', award_emoji: '', project: '' },
      ...(premium ? { weight: i.weight } : {}),
    };
  };
  const noteJson = (n: DoubleNote) => {
    const issue = issues.find((i) => i.id === n.issueId)!;
    return {
      id: n.id, type: null, body: n.body, attachment: null, author: userJson(userById(n.authorId)), created_at: n.createdAt, updated_at: n.updatedAt,
      system: n.system, noteable_id: issue.id, noteable_type: 'Issue', project_id: issue.projectId, noteable_iid: issue.iid,
      resolvable: false, confidential: n.internal, internal: n.internal, imported: false, imported_from: 'none',
    };
  };

  const systemNote = (issue: DoubleIssue, body: string, authorId: number) => {
    const at = issue.updatedAt;
    notes.push({ id: ++ids, issueId: issue.id, body, authorId, createdAt: at, updatedAt: at, system: true, internal: false });
  };
  const fire = (kind: 'issue' | 'note', issue: DoubleIssue) => {
    if (!webhook) return;
    const project = projects.find((p) => p.id === issue.projectId)!;
    const payload = kind === 'issue'
      ? { object_kind: 'issue', event_type: 'issue', project: { id: project.id, path_with_namespace: project.path }, object_attributes: { id: issue.id, iid: issue.iid, action: 'update' } }
      : { object_kind: 'note', event_type: 'note', project: { id: project.id, path_with_namespace: project.path }, object_attributes: { noteable_type: 'Issue' }, issue: { id: issue.id, iid: issue.iid } };
    const { url, token: secret } = webhook;
    deliveries.push(fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-gitlab-event': kind === 'issue' ? 'Issue Hook' : 'Note Hook', 'x-gitlab-token': secret, 'x-gitlab-event-uuid': randomUUID() },
      body: JSON.stringify(payload),
    }).then((r) => r.status, () => 0));
  };

  /** Labels as GitLab applies them: created on first use; a scoped label replaces its scope's other label (Premium). */
  const applyLabels = (project: Project, list: string[]): string[] => {
    const known = labels.get(project.id) ?? new Set<string>();
    labels.set(project.id, known);
    const out: string[] = [];
    for (const raw of list) {
      const name = raw.trim();
      if (!name) continue;
      known.add(name);
      const scope = premium && name.includes('::') ? name.slice(0, name.lastIndexOf('::')) : null;
      const kept = scope === null ? out : out.filter((l) => !(l.includes('::') && l.slice(0, l.lastIndexOf('::')) === scope));
      if (!kept.includes(name)) kept.push(name);
      out.splice(0, out.length, ...kept);
    }
    return out.sort((a, b) => a.localeCompare(b));
  };

  /** The write fields shared by create and edit, checked as GitLab's API checks them. */
  const applyFields = (project: Project, issue: DoubleIssue, body: Record<string, unknown>, actor: DoubleUser) => {
    const changes: string[] = [];
    if (body.title !== undefined) {
      if (typeof body.title !== 'string' || !body.title.trim()) throw badRequest('title is empty');
      if (body.title.length > 255) throw new HttpError(400, { message: { title: ['is too long (maximum is 255 characters)'] } });
      if (body.title !== issue.title) changes.push(`changed title from **${issue.title}** to **${body.title}**`);
      issue.title = body.title;
    }
    if (body.description !== undefined) {
      if (body.description !== null && typeof body.description !== 'string') throw badRequest('description is invalid');
      if (typeof body.description === 'string' && body.description.length > 1_048_576) throw new HttpError(400, { message: { description: ['is too long (maximum is 1048576 characters)'] } });
      if (body.description !== issue.description) changes.push('changed the description');
      issue.description = body.description as string | null;
    }
    if (body.labels !== undefined) {
      const list = typeof body.labels === 'string' ? body.labels.split(',') : Array.isArray(body.labels) ? body.labels.map(String) : null;
      if (!list) throw badRequest('labels is invalid');
      const next = applyLabels(project, list);
      if (next.join() !== issue.labels.join()) changes.push('changed labels');
      issue.labels = next;
    }
    if (body.assignee_ids !== undefined) {
      if (!Array.isArray(body.assignee_ids) || body.assignee_ids.some((v) => !Number.isInteger(v))) throw badRequest('assignee_ids is invalid');
      const ids = (body.assignee_ids as number[]).filter((v) => v !== 0);
      for (const id of ids) if (!Object.values(users).some((u) => u.id === id)) throw new HttpError(404, { message: '404 User Not Found' });
      issue.assigneeIds = ids.slice(0, premium ? ids.length : 1);
      changes.push('changed assignees');
    }
    if (body.milestone_id !== undefined) {
      if (body.milestone_id !== null && !Number.isInteger(body.milestone_id)) throw badRequest('milestone_id is invalid');
      const id = body.milestone_id as number | null;
      if (id && !milestones.some((m) => m.id === id && m.projectId === project.id)) throw new HttpError(400, { message: { milestone: ['is invalid'] } });
      issue.milestoneId = id || null;
      changes.push('changed milestone');
    }
    if (body.weight !== undefined) {
      if (body.weight !== null && (!Number.isInteger(body.weight) || (body.weight as number) < 0)) throw badRequest('weight does not have a valid value');
      if (premium) issue.weight = body.weight as number | null;
    }
    if (body.state_event !== undefined) {
      if (body.state_event !== 'close' && body.state_event !== 'reopen') throw badRequest('state_event does not have a valid value');
      const to = body.state_event === 'close' ? 'closed' : 'opened';
      if (to !== issue.state) changes.push(to === 'closed' ? 'closed' : 'reopened');
      issue.state = to;
    }
    return (at: string) => {
      issue.updatedAt = at;
      if (issue.state === 'closed' && !issue.closedAt) issue.closedAt = at;
      if (issue.state === 'opened') issue.closedAt = null;
      for (const c of changes) systemNote(issue, c, actor.id);
    };
  };

  /** One page of a listing, by offset or keyset, with GitLab's headers. */
  const paged = <T>(req: Req, all: T[], keyOf: (t: T) => string): { body: T[]; headers: Record<string, string> } => {
    const perPage = Math.min(100, Math.max(1, Number(req.query.get('per_page') ?? 20)));
    const link = (params: Record<string, string>) => {
      const u = new URL(req.url.toString());
      for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
      return u.toString();
    };
    if (req.query.get('pagination') === 'keyset') {
      const after = req.query.get('cursor');
      let start = 0;
      if (after) {
        const decoded = Buffer.from(after, 'base64url').toString();
        const at = all.findIndex((t) => keyOf(t) === decoded);
        if (at < 0) throw badRequest('cursor is invalid');
        start = at + 1;
      }
      const body = all.slice(start, start + perPage);
      const last = body.at(-1);
      const more = start + perPage < all.length && last !== undefined;
      return { body, headers: more ? { link: `<${link({ cursor: Buffer.from(keyOf(last)).toString('base64url') })}>; rel="next"` } : {} };
    }
    const page = Math.max(1, Number(req.query.get('page') ?? 1));
    const body = all.slice((page - 1) * perPage, page * perPage);
    const pages = Math.max(1, Math.ceil(all.length / perPage));
    const next = page < pages ? String(page + 1) : '';
    const links = [`<${link({ page: '1' })}>; rel="first"`, `<${link({ page: String(pages) })}>; rel="last"`, ...(next ? [`<${link({ page: next })}>; rel="next"`] : [])];
    return { body, headers: { link: links.join(', '), 'x-next-page': next, 'x-page': String(page), 'x-per-page': String(perPage), 'x-total': String(all.length), 'x-total-pages': String(pages) } };
  };

  interface Req { method: string; url: URL; query: URLSearchParams; body: Record<string, unknown>; actor: DoubleUser; owner: boolean; route: string }
  type Handler = (req: Req, p: string[]) => { status?: number; body: unknown; headers?: Record<string, string> };
  const routes: Array<[string, string, RegExp, Handler]> = [
    ['GET', '/user', /^\/user$/, (req) => ({ body: { ...userJson(req.actor), email: `${req.actor.username}@example.test` } })],
    ['GET', '/users', /^\/users$/, (req) => ({ body: Object.values(users).filter((u) => u.username === req.query.get('username')).map(userJson) })],
    ['GET', '/projects', /^\/projects$/, (req) => {
      const all = projects.map((p) => ({ id: p.id, name: p.name, path: p.path.split('/').at(-1), path_with_namespace: p.path, name_with_namespace: p.path, web_url: `http://gitlab.test/${p.path}`, namespace: { id: 1, name: p.namespace, path: p.namespace, kind: 'group', full_path: p.namespace }, created_at: '2026-01-01T00:00:00.000Z', default_branch: 'main', description: null }));
      return paged(req, all, (p) => String(p.id));
    }],
    ['GET', '/projects/{id}/issues', /^\/projects\/([^/]+)\/issues$/, (req, [ref]) => {
      const project = projectOf(ref!);
      if (req.query.get('pagination') === 'keyset' && (!keyset || !['updated_at', 'created_at', 'id', null].includes(req.query.get('order_by')))) {
        throw new HttpError(405, { error: 'Keyset pagination is not yet available for this type of request' });
      }
      const since = req.query.get('updated_after');
      const search = req.query.get('search');
      const state = req.query.get('state');
      const orderBy = (req.query.get('order_by') ?? 'created_at') as 'updated_at' | 'created_at';
      const asc = req.query.get('sort') === 'asc';
      let list = issues.filter((i) => i.projectId === project.id);
      if (since) list = list.filter((i) => Date.parse(i.updatedAt) >= Date.parse(since));
      if (state && state !== 'all') list = list.filter((i) => i.state === state);
      if (search) {
        const fields = (req.query.get('in') ?? 'title,description').split(',');
        list = list.filter((i) => (fields.includes('title') && i.title.includes(search)) || (fields.includes('description') && (i.description ?? '').includes(search)));
      }
      const key = (i: DoubleIssue) => (orderBy === 'updated_at' ? i.updatedAt : i.createdAt);
      list.sort((a, b) => (key(a) === key(b) ? a.id - b.id : key(a) < key(b) ? -1 : 1) * (asc ? 1 : -1));
      return paged(req, list.map(issueJson), (i) => String(i.id));
    }],
    ['POST', '/projects/{id}/issues', /^\/projects\/([^/]+)\/issues$/, (req, [ref]) => {
      const project = projectOf(ref!);
      if (req.body.title === undefined) throw badRequest('title is missing');
      const at = stamp();
      const issue: DoubleIssue = { id: ++ids, iid: project.nextIid++, projectId: project.id, title: '', description: null, state: 'opened', createdAt: at, updatedAt: at, closedAt: null, labels: [], assigneeIds: [], milestoneId: null, weight: null, authorId: req.actor.id };
      const settle = applyFields(project, issue, req.body, req.actor);
      issues.push(issue);
      settle(at);
      notes.splice(0, notes.length, ...notes.filter((n) => !(n.issueId === issue.id && n.system)));
      fire('issue', issue);
      return { status: 201, body: issueJson(issue) };
    }],
    ['GET', '/projects/{id}/issues/{issue_iid}', /^\/projects\/([^/]+)\/issues\/(\d+)$/, (_req, [ref, iid]) => ({ body: issueJson(issueOf(projectOf(ref!), iid!)) })],
    ['PUT', '/projects/{id}/issues/{issue_iid}', /^\/projects\/([^/]+)\/issues\/(\d+)$/, (req, [ref, iid]) => {
      const project = projectOf(ref!);
      const issue = issueOf(project, iid!);
      const editable = ['title', 'description', 'labels', 'assignee_ids', 'milestone_id', 'weight', 'state_event', 'add_labels', 'remove_labels', 'confidential', 'due_date', 'discussion_locked', 'issue_type', 'updated_at', 'epic_id', 'epic_iid'];
      if (!Object.keys(req.body).some((k) => editable.includes(k))) throw badRequest('title, description, assignee_id, assignee_ids, confidential, created_at, due_date, discussion_locked, labels, milestone_id, state_event, updated_at, weight, epic_id, epic_iid, issue_type, add_labels, remove_labels are missing, at least one parameter must be provided');
      const settle = applyFields(project, issue, req.body, req.actor);
      settle(stamp());
      fire('issue', issue);
      return { body: issueJson(issue) };
    }],
    ['DELETE', '/projects/{id}/issues/{issue_iid}', /^\/projects\/([^/]+)\/issues\/(\d+)$/, (req, [ref, iid]) => {
      const issue = issueOf(projectOf(ref!), iid!);
      if (!req.owner) throw new HttpError(403, { message: '403 Forbidden' });
      issues.splice(issues.indexOf(issue), 1);
      return { status: 204, body: null };
    }],
    ['GET', '/projects/{id}/issues/{issue_iid}/notes', /^\/projects\/([^/]+)\/issues\/(\d+)\/notes$/, (req, [ref, iid]) => {
      const issue = issueOf(projectOf(ref!), iid!);
      const key = req.query.get('order_by') === 'updated_at' ? (n: DoubleNote) => n.updatedAt : (n: DoubleNote) => n.createdAt;
      const asc = req.query.get('sort') === 'asc';
      const list = notes.filter((n) => n.issueId === issue.id).sort((a, b) => (key(a) === key(b) ? a.id - b.id : key(a) < key(b) ? -1 : 1) * (asc ? 1 : -1));
      return paged(req, list.map(noteJson), (n) => String(n.id));
    }],
    ['POST', '/projects/{id}/issues/{issue_iid}/notes', /^\/projects\/([^/]+)\/issues\/(\d+)\/notes$/, (req, [ref, iid]) => {
      const issue = issueOf(projectOf(ref!), iid!);
      if (typeof req.body.body !== 'string') throw badRequest('body is missing');
      if (!req.body.body.trim()) throw new HttpError(400, { message: { note: ["can't be blank"] } });
      if (req.body.body.length > 1_000_000) throw new HttpError(400, { message: { note: ['is too long (maximum is 1000000 characters)'] } });
      const at = stamp();
      const note: DoubleNote = { id: ++ids, issueId: issue.id, body: req.body.body, authorId: req.actor.id, createdAt: at, updatedAt: at, system: false, internal: req.body.internal === true };
      notes.push(note);
      issue.updatedAt = at;
      fire('note', issue);
      return { status: 201, body: noteJson(note) };
    }],
    ['PUT', '/projects/{id}/issues/{issue_iid}/notes/{note_id}', /^\/projects\/([^/]+)\/issues\/(\d+)\/notes\/(\d+)$/, (req, [ref, iid, noteId]) => {
      const issue = issueOf(projectOf(ref!), iid!);
      const note = notes.find((n) => n.issueId === issue.id && String(n.id) === noteId && !n.system);
      if (!note) throw new HttpError(404, { message: '404 Note Not Found' });
      if (note.authorId !== req.actor.id) throw new HttpError(403, { message: '403 Forbidden' });
      if (typeof req.body.body !== 'string' || !req.body.body.trim()) throw new HttpError(400, { message: { note: ["can't be blank"] } });
      note.body = req.body.body;
      note.updatedAt = stamp();
      issue.updatedAt = note.updatedAt;
      fire('note', issue);
      return { body: noteJson(note) };
    }],
    ['GET', '/projects/{id}/labels', /^\/projects\/([^/]+)\/labels$/, (req, [ref]) => {
      const project = projectOf(ref!);
      const list = [...(labels.get(project.id) ?? [])].sort().map((name, i) => ({ id: 7000 + i, name, color: '#6699cc', text_color: '#FFFFFF', description: null, open_issues_count: 0, closed_issues_count: 0, open_merge_requests_count: 0, subscribed: false, priority: null, is_project_label: true }));
      return paged(req, list, (l) => String(l.id));
    }],
    ['GET', '/projects/{id}/members/all', /^\/projects\/([^/]+)\/members\/all$/, (req, [ref]) => {
      projectOf(ref!);
      return paged(req, Object.values(users).map((u) => ({ ...userJson(u), access_level: 30, created_at: '2026-01-01T00:00:00.000Z', expires_at: null })), (u) => String(u.id));
    }],
    ['GET', '/projects/{id}/milestones', /^\/projects\/([^/]+)\/milestones$/, (req, [ref]) => {
      const project = projectOf(ref!);
      const state = req.query.get('state');
      return paged(req, milestones.filter((m) => m.projectId === project.id && (!state || m.state === state)).map(milestoneJson), (m) => String(m.id));
    }],
  ];

  const server = createServer((request, response) => {
    void handle(request, response).catch((error: unknown) => {
      response.writeHead(500, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ message: `500 Internal Server Error (${(error as Error).message})` }));
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', `http://${request.headers.host}`);
    const method = request.method ?? 'GET';
    log.push(`${method} ${url.pathname}${url.search}`);
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      if (Date.now() - window.start >= 60_000) window = { start: Date.now(), used: 0 };
      window.used++;
      const reset = String(Math.ceil((window.start + 60_000) / 1000));
      const limits = { 'ratelimit-limit': String(rateLimit), 'ratelimit-observed': String(window.used), 'ratelimit-remaining': String(Math.max(0, rateLimit - window.used)), 'ratelimit-reset': reset, 'ratelimit-resettime': new Date(window.start + 60_000).toUTCString() };
      if (window.used > rateLimit) {
        response.writeHead(429, { 'content-type': 'text/plain', 'retry-after': '60', ...limits });
        response.end('Retry later\n');
        return;
      }
      const json = body === null ? '' : JSON.stringify(body);
      const etag = `W/"${createHash('md5').update(json).digest('hex')}"`;
      if (status === 200 && method === 'GET' && request.headers['if-none-match'] === etag) {
        response.writeHead(304, { etag, ...limits, ...headers });
        response.end();
        return;
      }
      response.writeHead(status, { 'content-type': 'application/json', ...(status === 200 ? { etag } : {}), ...limits, ...headers });
      response.end(json);
    };
    try {
      if (!url.pathname.startsWith(`${root}/api/v4/`)) throw new HttpError(404, { error: '404 Not Found' });
      const auth = request.headers['private-token'] ?? /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
      const who = typeof auth === 'string' ? tokens.get(auth) : undefined;
      if (!who) throw new HttpError(401, { message: '401 Unauthorized' });
      const path = url.pathname.slice(`${root}/api/v4`.length);
      const matched = routes.map(([m, route, re, h]) => ({ m, route, h, match: re.exec(path) })).filter((r) => r.match);
      const found = matched.find((r) => r.m === method);
      if (!found) throw new HttpError(matched.length ? 405 : 404, { error: matched.length ? '405 Method Not Allowed' : '404 Not Found' });
      let body: Record<string, unknown> = {};
      if (text) {
        const type = request.headers['content-type'] ?? '';
        if (!type.includes('application/json')) throw badRequest('unsupported content type (this double speaks JSON)');
        try {
          body = JSON.parse(text) as Record<string, unknown>;
        } catch {
          throw badRequest('the body is not valid JSON');
        }
      }
      const refused = contract.checkRequest(method, found.route, url.searchParams, body);
      if (refused.length) {
        violations.push(...refused.map((r) => `${method} ${found.route}: ${r}`));
        throw badRequest(`(request model) ${refused.join('; ')}`);
      }
      const result = found.h({ method, url, query: url.searchParams, body, actor: who.user, owner: who.owner, route: found.route }, found.match!.slice(1));
      const status = result.status ?? 200;
      if (status < 300 && result.body !== null) {
        const wrong = contract.checkResponse(method, found.route, status, result.body);
        violations.push(...wrong.map((w) => `${method} ${found.route} answer: ${w}`));
      }
      send(status, result.body, result.headers);
    } catch (error) {
      if (error instanceof HttpError) send(error.status, error.body);
      else throw error;
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${root}`;
  let projectCount = 0;

  const double: GitLabDouble = {
    url, token, ownerToken, users, violations, log,
    createProject(path = `acme/widgets-${++projectCount}`) {
      projects.push({ id: 100 + projects.length, path, name: path.split('/').at(-1)!, namespace: path.split('/').slice(0, -1).join('/'), nextIid: 1 });
      return path;
    },
    milestone(project, title) {
      const p = projectOf(project);
      const id = 5000 + milestones.length + 1;
      milestones.push({ id, projectId: p.id, title, state: 'active' });
      return id;
    },
    seed(project, count) {
      const p = projectOf(project);
      return Array.from({ length: count }, (_, n) => {
        const at = stamp();
        const issue: DoubleIssue = { id: ++ids, iid: p.nextIid++, projectId: p.id, title: `Seeded issue ${n + 1}`, description: `Seeded by bob (${n + 1})`, state: 'opened', createdAt: at, updatedAt: at, closedAt: null, labels: [], assigneeIds: [], milestoneId: null, weight: null, authorId: users.bob.id };
        issues.push(issue);
        return String(issue.iid);
      });
    },
    edit(project, iid, patch) {
      const p = projectOf(project);
      const issue = issueOf(p, iid);
      const body: Record<string, unknown> = {};
      if (patch.title !== undefined) body.title = patch.title;
      if (patch.description !== undefined) body.description = patch.description;
      if (patch.labels !== undefined) body.labels = patch.labels.join(',');
      if (patch.state !== undefined) body.state_event = patch.state === 'closed' ? 'close' : 'reopen';
      applyFields(p, issue, body, users.bob)(stamp());
      fire('issue', issue);
    },
    note(project, iid, body, opts = {}) {
      const issue = issueOf(projectOf(project), iid);
      const at = stamp();
      notes.push({ id: ++ids, issueId: issue.id, body, authorId: users.bob.id, createdAt: at, updatedAt: at, system: opts.system ?? false, internal: opts.internal ?? false });
      issue.updatedAt = at;
      fire('note', issue);
    },
    issue: (project, iid) => issues.find((i) => i.projectId === projectOf(project).id && String(i.iid) === iid),
    issues: (project) => issues.filter((i) => i.projectId === projectOf(project).id),
    notes: (project, iid) => notes.filter((n) => n.issueId === issueOf(projectOf(project), iid).id),
    setWebhook(target, secret = 'gitlab-webhook-secret') {
      webhook = target === null ? null : { url: target, token: secret };
    },
    settleWebhooks: () => Promise.all(deliveries),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  return double;
}
