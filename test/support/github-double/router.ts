/** GitHub's REST routes over the store: users, orgs, repos, issues, comments, search and rate_limit. */
import { z } from 'zod';
import { FIXTURE_USERS, isoSeconds, renderComment, renderIssue, renderLabel, renderUser, type Account, type CommentRecord, type IssueRecord, type RenderContext } from '../github-fixtures';
import type { Clock } from './clock';
import type { RateLimits } from './limits';
import { listPage, searchIssues } from './queries';
import { fail, linkHeader, ok, pageParams, validationFailed, type Call, type Handler, type Reply } from './reply';
import type { EventRecord, RepoState, Store } from './store';

const labelName = z.union([z.string(), z.object({ name: z.string() }).transform((l) => l.name)]);
const issueWrite = z.object({
  title: z.union([z.string(), z.number()]).transform(String).optional(),
  body: z.string().nullable().optional(),
  state: z.enum(['open', 'closed']).optional(),
  state_reason: z.enum(['completed', 'not_planned', 'reopened', 'duplicate']).nullable().optional(),
  labels: z.array(labelName).optional(),
  assignees: z.array(z.string()).optional(),
  assignee: z.string().nullable().optional(),
});
const commentWrite = z.object({ body: z.string().min(1) });
const assigneesOf = (w: { assignees?: string[] | undefined; assignee?: string | null | undefined }): string[] | undefined =>
  w.assignees ?? (w.assignee === undefined ? undefined : w.assignee === null ? [] : [w.assignee]);

interface RouterDeps { store: Store; viewer: Account; clock: Clock; limits: RateLimits; htmlBase: string; repositoryIdLinks: boolean }

export function createRouter({ store, viewer, limits, htmlBase, repositoryIdLinks }: RouterDeps): (call: Call) => Reply {
  const ctx = (call: Call, repo?: RepoState): RenderContext => ({ apiBase: call.base, htmlBase, fullName: repo?.fullName ?? '' });
  const paged = (call: Call, repo: RepoState | undefined, total: number, body: (from: number, to: number) => unknown): Reply => {
    const { page, perPage } = pageParams(call.url);
    const linkBase = new URL(call.url);
    if (repo && repositoryIdLinks) linkBase.pathname = linkBase.pathname.replace(/^\/repos\/[^/]+\/[^/]+/, `/repositories/${repo.id}`);
    return ok(body((page - 1) * perPage, page * perPage), 200, linkHeader(linkBase, page, perPage, total));
  };
  const renderRepo = (call: Call, repo: RepoState) => ({
    id: repo.id, node_id: `R_kgDO${repo.id}`, name: repo.name, full_name: repo.fullName, private: repo.private,
    owner: renderUser(repo.owner, ctx(call)), html_url: `${htmlBase}/${repo.fullName}`, url: `${call.base}/repos/${repo.fullName}`,
    description: null, fork: false, archived: false, disabled: false, has_issues: repo.hasIssues, default_branch: 'main',
    visibility: repo.private ? 'private' : 'public', open_issues_count: repo.byNumber.filter((r) => r.state === 'open').length,
    created_at: isoSeconds(repo.createdAt), updated_at: isoSeconds(repo.byUpdated.at(-1)?.updatedAt ?? repo.createdAt),
    pushed_at: isoSeconds(repo.createdAt), permissions: { admin: true, maintain: true, push: true, triage: true, pull: true },
  });
  const since = (call: Call): number | undefined | 'invalid' => {
    const raw = call.url.searchParams.get('since');
    return raw === null ? undefined : Number.isNaN(Date.parse(raw)) ? 'invalid' : Date.parse(raw);
  };
  const invalid = (error: z.ZodError, resource: string): Reply => validationFailed(resource, String(error.issues[0]?.path[0] ?? ''), 'invalid');
  const inRepo = (h: (call: Call, repo: RepoState, rest: string[]) => Reply): Handler => (call, [owner, name, ...rest]) => {
    const repo = store.repo(`${owner}/${name}`);
    return repo ? h(call, repo, rest) : fail(404, 'Not Found');
  };
  const withIssue = (h: (call: Call, repo: RepoState, rec: IssueRecord) => Reply): Handler => inRepo((call, repo, [n]) => {
    if (repo.deleted.has(Number(n))) return fail(410, 'This issue was deleted');
    const rec = repo.issues.get(Number(n));
    return rec ? h(call, repo, rec) : fail(404, 'Not Found');
  });
  const withComment = (h: (call: Call, repo: RepoState, comment: CommentRecord) => Reply): Handler => inRepo((call, repo, [id]) => {
    const comment = repo.commentById.get(Number(id));
    return comment ? h(call, repo, comment) : fail(404, 'Not Found');
  });
  const orgs = (): Account[] => [...new Set([...store.repos.values()].map((r) => r.owner))].filter((o) => o.type === 'Organization');
  const R = '/repos/([^/]+)/([^/]+)';

  const routes: Array<[string, RegExp, Handler]> = [
    ['GET', /^\/user$/, (call) => ok({ ...renderUser(viewer, ctx(call)), name: viewer.login })],
    ['GET', /^\/user\/orgs$/, (call) => paged(call, undefined, orgs().length, (a, b) => orgs().slice(a, b).map((o) => ({
      login: o.login, id: o.id, node_id: `O_kgDO${o.id}`, url: `${call.base}/orgs/${o.login}`, repos_url: `${call.base}/orgs/${o.login}/repos`, description: null,
    })))],
    ['GET', /^\/user\/repos$/, (call) => {
      const all = [...store.repos.values()];
      return paged(call, undefined, all.length, (a, b) => all.slice(a, b).map((r) => renderRepo(call, r)));
    }],
    ['GET', /^\/orgs\/([^/]+)\/repos$/, (call, [org]) => {
      const owned = [...store.repos.values()].filter((r) => r.owner.login.toLowerCase() === org?.toLowerCase());
      if (!orgs().some((o) => o.login.toLowerCase() === org?.toLowerCase())) return fail(404, 'Not Found');
      return paged(call, undefined, owned.length, (a, b) => owned.slice(a, b).map((r) => renderRepo(call, r)));
    }],
    ['GET', /^\/rate_limit$/, () => ({ ...ok({ resources: { core: limits.state('core'), search: limits.state('search') }, rate: limits.state('core') }), charge: false })],
    ['GET', new RegExp(`^${R}$`), inRepo((call, repo) => ok(renderRepo(call, repo)))],
    // GET /repos/{owner}/{repo}/labels and /assignees (REST "Labels", "Assignees"): paged lists.
    ['GET', new RegExp(`^${R}/labels$`), inRepo((call, repo) => {
      const all = [...repo.labels.values()];
      return paged(call, repo, all.length, (a, b) => all.slice(a, b).map((l) => renderLabel(l, ctx(call, repo))));
    })],
    ['GET', new RegExp(`^${R}/assignees$`), inRepo((call, repo) => {
      // Who may be assigned: the repository's collaborators; in the double, the viewer and the fixture users.
      const all = [viewer, ...FIXTURE_USERS.filter((u) => u.login !== viewer.login)];
      return paged(call, repo, all.length, (a, b) => all.slice(a, b).map((u) => renderUser(u, ctx(call, repo))));
    })],
    ['GET', new RegExp(`^${R}/issues$`), inRepo((call, repo) => {
      if (!repo.hasIssues) return fail(410, 'Issues are disabled for this repo');
      const p = call.url.searchParams;
      const state = p.get('state') ?? 'open';
      const from = since(call);
      if (from === 'invalid') return validationFailed('Issue', 'since', 'invalid');
      if (!['open', 'closed', 'all'].includes(state)) return validationFailed('Issue', 'state', 'invalid');
      const { page, perPage } = pageParams(call.url);
      const labels = (p.get('labels') ?? '').split(',').filter(Boolean).map((l) => l.trim().toLowerCase());
      const q = { state, sort: p.get('sort') ?? 'created', asc: p.get('direction') === 'asc', since: from, labels, page, perPage };
      const { items, total } = listPage(repo, q);
      return paged(call, repo, total, () => items.map((r) => renderIssue(r, ctx(call, repo))));
    })],
    ['POST', new RegExp(`^${R}/issues$`), inRepo((call, repo) => {
      const parsed = issueWrite.safeParse(call.body);
      if (!parsed.success) return invalid(parsed.error, 'Issue');
      const w = parsed.data;
      if (!w.title) return validationFailed('Issue', 'title', 'missing_field');
      const rec = store.createIssue(repo, { title: w.title, body: w.body, labels: w.labels, assignees: assigneesOf(w) }, viewer);
      return ok(renderIssue(rec, ctx(call, repo)), 201, { location: `${call.base}/repos/${repo.fullName}/issues/${rec.number}` });
    })],
    ['GET', new RegExp(`^${R}/issues/comments/(\\d+)$`), withComment((call, repo, c) => ok(renderComment(c, ctx(call, repo))))],
    ['PATCH', new RegExp(`^${R}/issues/comments/(\\d+)$`), withComment((call, repo, c) => {
      const parsed = commentWrite.safeParse(call.body);
      if (!parsed.success) return validationFailed('IssueComment', 'body', 'missing_field');
      // Editing a comment moves the comment's updated_at, not the issue's.
      if (parsed.data.body !== c.body) store.editComment(repo, c, parsed.data.body, viewer);
      return ok(renderComment(c, ctx(call, repo)));
    })],
    ['GET', new RegExp(`^${R}/issues/(\\d+)$`), withIssue((call, repo, rec) => ok(renderIssue(rec, ctx(call, repo))))],
    ['PATCH', new RegExp(`^${R}/issues/(\\d+)$`), withIssue((call, repo, rec) => {
      const parsed = issueWrite.safeParse(call.body);
      if (!parsed.success) return invalid(parsed.error, 'Issue');
      const w = parsed.data;
      if (w.title === '') return validationFailed('Issue', 'title', 'missing_field');
      store.updateIssue(repo, rec, { title: w.title, body: w.body, state: w.state, stateReason: w.state_reason, labels: w.labels, assignees: assigneesOf(w) }, viewer);
      return ok(renderIssue(rec, ctx(call, repo)));
    })],
    ['GET', new RegExp(`^${R}/issues/(\\d+)/events$`), withIssue((call, repo, rec) => {
      const list = repo.events.get(rec.number) ?? [];
      return paged(call, repo, list.length, (a, b) => list.slice(a, b).map((e) => renderEvent(e, call, repo)));
    })],
    ['GET', new RegExp(`^${R}/issues/(\\d+)/comments$`), withIssue((call, repo, rec) => {
      const from = since(call);
      if (from === 'invalid') return validationFailed('IssueComment', 'since', 'invalid');
      const list = store.commentsOf(repo, rec).filter((c) => from === undefined || c.updatedAt >= from);
      return paged(call, repo, list.length, (a, b) => list.slice(a, b).map((c) => renderComment(c, ctx(call, repo))));
    })],
    ['POST', new RegExp(`^${R}/issues/(\\d+)/comments$`), withIssue((call, repo, rec) => {
      const parsed = commentWrite.safeParse(call.body);
      if (!parsed.success) return validationFailed('IssueComment', 'body', 'missing_field');
      const comment = store.addComment(repo, rec, parsed.data.body, viewer);
      return ok(renderComment(comment, ctx(call, repo)), 201, { location: `${call.base}/repos/${repo.fullName}/issues/comments/${comment.id}` });
    })],
    ['GET', /^\/search\/issues$/, (call) => searchReply(call)],
  ];

  /** GitHub's issue event object (REST "Issue events"): the payload key depends on the event. */
  function renderEvent(e: EventRecord, call: Call, repo: RepoState) {
    return {
      id: e.id, node_id: `IE_kwDO${e.id.toString(36).toUpperCase()}`, url: `${call.base}/repos/${repo.fullName}/issues/events/${e.id}`,
      actor: renderUser(e.actor, ctx(call)), event: e.event, commit_id: null, commit_url: null, created_at: isoSeconds(e.createdAt),
      performed_via_github_app: null,
      ...(e.rename ? { rename: e.rename } : {}),
      ...(e.label ? { label: { name: e.label.name, color: e.label.color } } : {}),
      ...(e.assignee ? { assignee: renderUser(e.assignee, ctx(call)), assigner: renderUser(e.actor, ctx(call)) } : {}),
    };
  }

  function searchReply(call: Call): Reply {
    const p = call.url.searchParams;
    const q = p.get('q');
    if (!q) return validationFailed('Search', 'q', 'missing');
    const { hits, missingRepo } = searchIssues(store, q);
    if (missingRepo) return validationFailed('Search', 'q', 'invalid');
    const sort = p.get('sort');
    const key = (r: IssueRecord): number => (sort === 'created' ? r.createdAt : sort === 'comments' ? r.comments : r.updatedAt);
    hits.sort((x, y) => (p.get('order') === 'asc' ? 1 : -1) * (key(x.rec) - key(y.rec) || x.rec.number - y.rec.number));
    // GitHub serves at most the first 1000 results of any search.
    const reachable = hits.slice(0, 1000);
    return paged(call, undefined, reachable.length, (a, b) => ({
      total_count: hits.length, incomplete_results: false,
      items: reachable.slice(a, b).map(({ repo, rec }) => ({ ...renderIssue(rec, ctx(call, repo)), score: 1 })),
    }));
  }

  return (call) => {
    // Link URLs point at /repositories/{id}/..., so those paths are served as their /repos/{owner}/{name} twins.
    const byId = /^\/repositories\/(\d+)(\/.*)?$/.exec(call.url.pathname);
    const repo = byId && [...store.repos.values()].find((r) => r.id === Number(byId[1]));
    const path = repo ? `/repos/${repo.fullName}${byId[2] ?? ''}` : call.url.pathname;
    for (const [method, pattern, handler] of routes) {
      const m = pattern.exec(path);
      if (m && method === call.method) return handler(call, m.slice(1));
    }
    return fail(404, 'Not Found');
  };
}
