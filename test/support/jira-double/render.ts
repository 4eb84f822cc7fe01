/**
 * Jira's JSON, as each deployment sends it: Cloud (REST v3) gives users by accountId only (no name, no
 * key; the email hidden) and rich text as ADF; Data Center (REST v2) gives users by name and key, rich
 * text as wiki markup. Dates are Jira's `2024-06-01T12:00:00.000+0000`.
 */
import type { AttachmentRecord, CommentRecord, HistoryRecord, IssueRecord, StatusRecord, Store, TransitionRecord, UserRecord } from './store';
import { ISSUE_TYPES, PRIORITIES, STATUSES } from './store';
import { customSchema } from './screens';
import type { Deployment } from './types';

export const jiraDate = (ms: number): string => new Date(ms).toISOString().replace('Z', '+0000');

const CATEGORY = {
  new: { id: 2, key: 'new', colorName: 'blue-gray', name: 'To Do' },
  indeterminate: { id: 4, key: 'indeterminate', colorName: 'yellow', name: 'In Progress' },
  done: { id: 3, key: 'done', colorName: 'green', name: 'Done' },
} as const;

/** The base URL a response's `self` links start from, and the API version of the request. */
export interface RenderContext { base: string; version: '2' | '3'; deployment: Deployment; store: Store }

const avatars = (base: string, id: string) => Object.fromEntries(['48x48', '24x24', '16x16', '32x32'].map((size) => [size, `${base}/secure/useravatar?size=${size}&ownerId=${id}`]));

export function renderUser(ctx: RenderContext, u: UserRecord) {
  if (ctx.deployment === 'cloud') {
    // Cloud hides the email of every user by default (profile visibility) and has dropped name and key.
    return { self: `${ctx.base}/rest/api/${ctx.version}/user?accountId=${u.accountId}`, accountId: u.accountId, accountType: 'atlassian', avatarUrls: avatars(ctx.base, u.accountId), displayName: u.displayName, active: true, timeZone: 'Etc/UTC' };
  }
  return { self: `${ctx.base}/rest/api/2/user?username=${u.name}`, name: u.name, key: u.key, emailAddress: u.email, avatarUrls: avatars(ctx.base, u.key), displayName: u.displayName, active: true, timeZone: 'Etc/UTC' };
}

export function renderStatus(ctx: RenderContext, s: StatusRecord) {
  const c = CATEGORY[s.category];
  return {
    self: `${ctx.base}/rest/api/${ctx.version}/status/${s.id}`, description: '', iconUrl: `${ctx.base}/images/icons/statuses/generic.png`, name: s.name, id: s.id,
    statusCategory: { self: `${ctx.base}/rest/api/${ctx.version}/statuscategory/${c.id}`, ...c },
  };
}

const statusOf = (name: string): StatusRecord => STATUSES.find((s) => s.name === name) ?? (STATUSES[0] as StatusRecord);

export function renderPriority(ctx: RenderContext, name: string) {
  const id = String(PRIORITIES.indexOf(name) + 1);
  return { self: `${ctx.base}/rest/api/${ctx.version}/priority/${id}`, iconUrl: `${ctx.base}/images/icons/priorities/${name.toLowerCase()}.svg`, name, id };
}

export function renderIssueType(ctx: RenderContext, name: string) {
  const t = ISSUE_TYPES.find((i) => i.name === name) ?? ISSUE_TYPES[0];
  return { self: `${ctx.base}/rest/api/${ctx.version}/issuetype/${t?.id}`, id: t?.id, description: '', iconUrl: `${ctx.base}/images/icons/issuetypes/task.svg`, name: t?.name, subtask: false, hierarchyLevel: 0 };
}

export function renderComment(ctx: RenderContext, issue: IssueRecord, c: CommentRecord) {
  return {
    self: `${ctx.base}/rest/api/${ctx.version}/issue/${issue.id}/comment/${c.id}`, id: c.id, author: renderUser(ctx, c.author), body: c.body,
    updateAuthor: renderUser(ctx, c.updateAuthor), created: jiraDate(c.created), updated: jiraDate(c.updated),
    ...(ctx.deployment === 'cloud' ? { jsdPublic: true } : {}),
  };
}

export function renderAttachment(ctx: RenderContext, a: AttachmentRecord) {
  return {
    self: `${ctx.base}/rest/api/${ctx.version}/attachment/${a.id}`, id: a.id, filename: a.filename, author: renderUser(ctx, a.author), created: jiraDate(a.created),
    size: a.data.byteLength, mimeType: a.mimeType, content: `${ctx.base}/rest/api/${ctx.version}/attachment/content/${a.id}`,
  };
}

export function renderProject(ctx: RenderContext, p: { id: string; key: string; name: string }) {
  return { self: `${ctx.base}/rest/api/${ctx.version}/project/${p.id}`, id: p.id, key: p.key, name: p.name, avatarUrls: avatars(ctx.base, p.id), projectTypeKey: 'software', simplified: false, style: 'classic', isPrivate: false };
}

/** A custom field's stored value as Jira answers it: options with their `self`, a user as a user. */
function renderCustom(ctx: RenderContext, value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => renderCustom(ctx, v));
  if (typeof value !== 'object' || value === null) return value;
  const v = value as Record<string, unknown>;
  if (typeof v.accountId === 'string' && typeof v.email === 'string') return renderUser(ctx, value as UserRecord);
  if (typeof v.id === 'string' && typeof v.value === 'string') {
    const option = { self: `${ctx.base}/rest/api/${ctx.version}/customFieldOption/${v.id}`, value: v.value, id: v.id };
    return v.child ? { ...option, child: renderCustom(ctx, v.child) } : option;
  }
  return value;
}

/** Every field of an issue by id; a request's `fields` list picks among them. */
function allFields(ctx: RenderContext, rec: IssueRecord): Record<string, unknown> {
  const project = ctx.store.projects.get(rec.project);
  const fields: Record<string, unknown> = {
    summary: rec.summary, description: rec.description, status: renderStatus(ctx, statusOf(rec.status)),
    priority: rec.priority === null ? null : renderPriority(ctx, rec.priority), assignee: rec.assignee && renderUser(ctx, rec.assignee),
    reporter: renderUser(ctx, rec.reporter), creator: renderUser(ctx, rec.reporter), labels: rec.labels, issuetype: renderIssueType(ctx, rec.issueType),
    project: project && renderProject(ctx, project), created: jiraDate(rec.created), updated: jiraDate(rec.updated),
    resolution: statusOf(rec.status).category === 'done' ? { self: `${ctx.base}/rest/api/${ctx.version}/resolution/10000`, id: '10000', name: 'Done', description: '' } : null,
    attachment: rec.attachments.map((a) => renderAttachment(ctx, a)),
    comment: { comments: rec.comments.map((c) => renderComment(ctx, rec, c)), self: `${ctx.base}/rest/api/${ctx.version}/issue/${rec.id}/comment`, maxResults: rec.comments.length, total: rec.comments.length, startAt: 0 },
  };
  for (const f of ctx.store.customFields) fields[f.id] = renderCustom(ctx, rec.custom[f.id] ?? null);
  return fields;
}

/** An issue with the fields asked for (`*all`, `*navigable` or ids; `-id` leaves one out) and the properties asked for. */
export function renderIssue(ctx: RenderContext, rec: IssueRecord, wanted: string[] | undefined, propertyKeys: string[] = []) {
  const every = allFields(ctx, rec);
  const list = wanted === undefined || wanted.length === 0 ? ['*navigable'] : wanted;
  const picked: Record<string, unknown> = {};
  for (const name of list) {
    if (name === '*all' || name === '*navigable') Object.assign(picked, name === '*all' ? every : { ...every, comment: undefined, attachment: undefined });
    else if (name in every) picked[name] = every[name];
  }
  for (const name of list.filter((n) => n.startsWith('-'))) delete picked[name.slice(1)];
  for (const [k, v] of Object.entries(picked)) if (v === undefined) delete picked[k];
  const properties = Object.fromEntries(propertyKeys.filter((k) => rec.properties.has(k)).map((k) => [k, rec.properties.get(k)]));
  return {
    expand: 'renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations', id: rec.id, self: `${ctx.base}/rest/api/${ctx.version}/issue/${rec.id}`, key: rec.key,
    fields: picked, ...(propertyKeys.length ? { properties } : {}),
  };
}

export function renderTransition(ctx: RenderContext, t: TransitionRecord, withFields: boolean) {
  const fields = Object.fromEntries(t.requires.map((id) => [id, {
    required: true, schema: { type: id === 'resolution' ? 'resolution' : 'string', system: id }, name: id === 'resolution' ? 'Resolution' : id, key: id, hasDefaultValue: false, operations: ['set'],
  }]));
  return {
    id: t.id, name: t.name, to: renderStatus(ctx, statusOf(t.to)), hasScreen: t.requires.length > 0, isGlobal: true, isInitial: false, isAvailable: true, isConditional: false, looped: false,
    ...(withFields ? { fields } : {}),
  };
}

/** One changelog entry: who changed what, when. */
export function renderHistory(ctx: RenderContext, h: HistoryRecord) {
  return { id: h.id, author: renderUser(ctx, h.author), created: jiraDate(h.created), items: h.items.map((i) => ({ ...i })) };
}

/** GET /field: system fields Jira has, then the custom fields. */
export function renderFields(ctx: RenderContext) {
  const system = [['summary', 'Summary', 'string'], ['description', 'Description', 'string'], ['status', 'Status', 'status'], ['priority', 'Priority', 'priority'],
    ['assignee', 'Assignee', 'user'], ['labels', 'Labels', 'array'], ['issuetype', 'Issue Type', 'issuetype'], ['updated', 'Updated', 'datetime']] as const;
  return [
    ...system.map(([id, name, type]) => ({ id, key: id, name, custom: false, orderable: true, navigable: true, searchable: true, clauseNames: [id], schema: { type, system: id } })),
    ...ctx.store.customFields.map((f) => ({
      id: f.id, key: f.id, name: f.name, untranslatedName: f.name, custom: true, orderable: true, navigable: true, searchable: true,
      clauseNames: [`cf[${f.id.slice(12)}]`, f.name], schema: customSchema(f),
    })),
  ];
}
