/**
 * The routes a connection's metadata reads (Jira Cloud platform REST v3, Data Center REST v2): a
 * project's issue types with their statuses, the priorities, the users assignable in a project and
 * (Cloud only) the site's labels. Paging follows each operation's documented shape.
 */
import { ISSUE_TYPES, PRIORITIES, STATUSES, type CustomFieldRecord, type Store } from './store';
import { customSchema, SYSTEM_SCHEMAS } from './screens';
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
  const optionValues = (ctx: RenderContext, f: CustomFieldRecord) => (f.options ?? []).map((o) => ({
    self: `${ctx.base}/rest/api/${ctx.version}/customFieldOption/${o.id}`, value: o.value, id: o.id,
    ...(o.children ? { children: o.children.map((c) => ({ self: `${ctx.base}/rest/api/${ctx.version}/customFieldOption/${c.id}`, value: c.value, id: c.id })) } : {}),
  }));
  /** The fields a screen of one issue type in one project shows, with their schema: createmeta's and editmeta's FieldMetadata. */
  const screenFields = (ctx: RenderContext, project: string, issueType: string, create: boolean) => {
    const screen = store.screens.of(project, issueType);
    const hidden = create ? screen.notOnCreate : screen.notOnEdit;
    const entry = (key: string, name: string, schema: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
      required: key === 'summary' || (create && (screen.required.has(key) || key === 'project' || key === 'issuetype')), schema, name, key,
      ...(create && cloud ? { fieldId: key } : {}), hasDefaultValue: key === 'priority', operations: ['set', ...(schema.type === 'array' ? ['add', 'remove'] : [])], ...extra,
    });
    return [
      ...(create ? [entry('project', 'Project', { type: 'project', system: 'project' }), entry('issuetype', 'Issue Type', { type: 'issuetype', system: 'issuetype' })] : []),
      ...Object.entries(SYSTEM_SCHEMAS).map(([key, f]) => entry(key, f.name, f.schema, key === 'priority' ? { allowedValues: PRIORITIES.map((p) => renderPriority(ctx, p)) } : {})),
      ...store.customFields.map((f) => entry(f.id, f.name, customSchema(f), f.options ? { allowedValues: optionValues(ctx, f) } : {})),
    ].filter((f) => !hidden.has(f.key));
  };
  const renderPriorityFull = (ctx: RenderContext, name: string) => ({ ...renderPriority(ctx, name), description: name, statusColor: '#cccccc', isDefault: name === 'Medium' });
  const issueTypeOf = (ctx: RenderContext, t: { id: string; name: string }) => ({ self: `${ctx.base}/rest/api/${ctx.version}/issuetype/${t.id}`, id: t.id, name: t.name, description: '', iconUrl: `${ctx.base}/images/icons/issuetypes/task.svg`, subtask: false });
  const projectOf = (idOrKey: string) => [...store.projects.values()].find((p) => p.key === decodeURIComponent(idOrKey) || p.id === idOrKey);
  /** Cloud pages createmeta as {issueTypes|fields, startAt, maxResults, total}; Data Center as {values, …, isLast}. */
  const metaPage = (call: Call, name: 'issueTypes' | 'fields', all: unknown[]) => {
    const { values, startAt, maxResults, total, isLast } = pageBean(call, all, 200);
    return ok(cloud ? { [name]: values, maxResults, startAt, total } : { values, maxResults, startAt, total, isLast });
  };
  return [
    ['GET', /^\/issue\/createmeta\/([^/]+)\/issuetypes$/, (call, ctx, [key = '']) => {
      if (!projectOf(key)) return errorReply(404, [`No project could be found with key '${decodeURIComponent(key)}'.`]);
      return metaPage(call, 'issueTypes', ISSUE_TYPES.map((t) => issueTypeOf(ctx, t)));
    }],
    ['GET', /^\/issue\/createmeta\/([^/]+)\/issuetypes\/([^/]+)$/, (call, ctx, [key = '', typeId = '']) => {
      const project = projectOf(key);
      const type = ISSUE_TYPES.find((t) => t.id === typeId);
      if (!project || !type) return errorReply(404, [project ? `Issue type with id '${typeId}' does not exist.` : `No project could be found with key '${decodeURIComponent(key)}'.`]);
      return metaPage(call, 'fields', screenFields(ctx, project.key, type.name, true));
    }],
    ['GET', /^\/issue\/([^/]+)\/editmeta$/, (_call, ctx, [idOrKey = '']) => {
      const rec = store.issue(decodeURIComponent(idOrKey));
      if (!rec) return errorReply(404, ['Issue does not exist or you do not have permission to see it.']);
      return ok({ fields: Object.fromEntries(screenFields(ctx, rec.project, rec.issueType, false).map(({ key, ...f }) => [key, { ...f, key }])) });
    }],
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
