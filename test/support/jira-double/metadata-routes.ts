/**
 * The routes a connection's metadata reads (Jira Cloud platform REST v3, Data Center REST v2): a
 * project's issue types with their statuses, the priorities, the users assignable in a project and
 * (Cloud only) the site's labels. Paging follows each operation's documented shape.
 */
import { ISSUE_TYPES, PRIORITIES, STATUSES, type Store } from './store';
import { renderPriority, renderStatus, renderUser, type RenderContext } from './render';
import type { Deployment } from './types';
import { errorReply, ok, type Call, type Reply } from './routes';

type Handler = (call: Call, ctx: RenderContext, params: string[]) => Reply;

const int = (v: string | null, fallback: number): number => {
  const n = Number.parseInt(v ?? '', 10);
  return Number.isFinite(n) && n >= 0 ? n : fallback;
};

/** Cloud's PageBean: startAt / maxResults / total / isLast, and `nextPage` while there is one. */
function pageBean<T>(call: Call, all: T[], cap: number) {
  const startAt = int(call.url.searchParams.get('startAt'), 0);
  const maxResults = Math.min(int(call.url.searchParams.get('maxResults'), 50), cap) || 50;
  const isLast = startAt + maxResults >= all.length;
  const next = new URL(call.url);
  next.searchParams.set('startAt', String(startAt + maxResults));
  return { self: call.url.href, ...(isLast ? {} : { nextPage: next.href }), maxResults, startAt, total: all.length, isLast, values: all.slice(startAt, startAt + maxResults) };
}

export function metadataRoutes(store: Store, deployment: Deployment): Array<[string, RegExp, Handler]> {
  const cloud = deployment === 'cloud';
  const renderPriorityFull = (ctx: RenderContext, name: string) => ({ ...renderPriority(ctx, name), description: name, statusColor: '#cccccc', isDefault: name === 'Medium' });
  return [
    ['GET', /^\/project\/([^/]+)\/statuses$/, (_call, ctx, [key = '']) => {
      const project = store.projects.get(decodeURIComponent(key));
      if (!project) return errorReply(404, [`No project could be found with key '${decodeURIComponent(key)}'.`]);
      return ok(ISSUE_TYPES.map((t) => ({
        self: `${ctx.base}/rest/api/${ctx.version}/issuetype/${t.id}`, id: t.id, name: t.name, subtask: false,
        statuses: STATUSES.map((s) => renderStatus(ctx, s)),
      })));
    }],
    ['GET', /^\/priority\/search$/, (call, ctx) => (cloud
      ? ok(pageBean(call, PRIORITIES.map((p) => renderPriorityFull(ctx, p)), 100))
      : errorReply(404, ['null for uri: /rest/api/2/priority/search']))],
    ['GET', /^\/priority$/, (_call, ctx) => ok(PRIORITIES.map((p) => renderPriorityFull(ctx, p)))],
    ['GET', /^\/user\/assignable\/search$/, (call, ctx) => {
      const key = call.url.searchParams.get('project');
      if (!key && !call.url.searchParams.get('issueKey')) return errorReply(400, ['At least one of the parameters project, issueKey or issueId is required.']);
      if (key && !store.projects.get(key)) return errorReply(404, [`No project could be found with key '${key}'.`]);
      const startAt = int(call.url.searchParams.get('startAt'), 0);
      const maxResults = Math.min(int(call.url.searchParams.get('maxResults'), 50), 1000) || 50;
      return ok([...store.users.values()].slice(startAt, startAt + maxResults).map((u) => renderUser(ctx, u)));
    }],
    ['GET', /^\/label$/, (call) => {
      if (!cloud) return errorReply(404, ['null for uri: /rest/api/2/label']);
      const labels = [...new Set(store.all().flatMap((r) => r.labels))].sort();
      return ok(pageBean(call, labels, 1000));
    }],
  ];
}
