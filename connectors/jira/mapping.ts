import { PermanentError } from '../errors';
import { MARKER_PROPERTY } from './client';
import type { ItemFields, Json, RemoteAttachment, RemoteComment, RemoteItem } from '../types';
import type { UserMap } from '../../markup';
import { fromAdf, fromJiraWiki, toAdf, toJiraWiki, type AdfNode } from './text';
import type { JiraAttachment, JiraComment, JiraIssue, JiraUser } from './shapes';

/** What mapping needs to know of the connection. */
export interface MappingContext {
  cloud: boolean;
  baseUrl: string;
  customFields: Array<{ id: string; name: string }>;
  /** What a label with spaces becomes (Jira refuses spaces in labels): `-` or `_` in place of each run of them, or refused. */
  labelSpaces?: 'dash' | 'underscore' | 'refuse';
  /** The binding's user map: mentions in text are written and read through it. */
  users?: UserMap;
}

/** The entity property carrying the create marker and the labels rewritten to fit Jira (remote form → hub form). */
export interface TrackbridgeProperty { marker?: string; labels?: Record<string, string> }

export function propertyOf(issue: Pick<JiraIssue, 'properties'>, key: string): TrackbridgeProperty {
  const value = issue.properties?.[key];
  return typeof value === 'object' && value !== null ? (value as TrackbridgeProperty) : {};
}

/**
 * Labels as Jira takes them. A label with spaces is rewritten by the connection's policy; `renamed` maps
 * each rewritten label back to the hub's, to be remembered on the issue so a pull reads it back as it was.
 */
export function remoteLabels(ctx: MappingContext, labels: readonly string[]): { labels: string[]; renamed: Record<string, string>; warnings: string[] } {
  const renamed: Record<string, string> = {};
  const warnings: string[] = [];
  const out = labels.map((label) => {
    if (!/\s/.test(label)) return label;
    if (ctx.labelSpaces === 'refuse') throw new PermanentError(`Jira labels cannot contain spaces: ${JSON.stringify(label)} (the label policy, labelSpaces, is "refuse")`);
    const rewritten = label.trim().replace(/\s+/g, ctx.labelSpaces === 'underscore' ? '_' : '-');
    renamed[rewritten] = label;
    warnings.push(`Jira labels cannot contain spaces: "${label}" is written as "${rewritten}" and read back as "${label}"`);
    return rewritten;
  });
  return { labels: [...new Set(out)], renamed, warnings };
}

/** Jira writes `2024-06-01T12:00:00.000+0000`; the hub keeps ISO 8601 UTC. */
export function isoDate(jira: string): string {
  const ms = Date.parse(jira.replace(/([+-]\d\d)(\d\d)$/, '$1:$2'));
  if (Number.isNaN(ms)) throw new PermanentError(`Jira: unreadable date ${JSON.stringify(jira)}`);
  return new Date(ms).toISOString();
}

/** Users are named by accountId on Cloud (emails are hidden there), by name (login) on Data Center. */
export const userId = (ctx: MappingContext, user: JiraUser | null | undefined): string | null =>
  (user ? ((ctx.cloud ? user.accountId : (user.name ?? user.key)) ?? null) : null);
export const userRef = (ctx: MappingContext, id: string | null): Json => (id === null ? null : ctx.cloud ? { accountId: id } : { name: id });

export const readText = (ctx: MappingContext, value: unknown): string =>
  (ctx.cloud ? fromAdf(typeof value === 'object' && value !== null ? (value as AdfNode) : null, ctx) : fromJiraWiki(typeof value === 'string' ? value : null, ctx));
/** The hub's empty text is Jira's null description. */
export const writeText = (ctx: MappingContext, text: string): Json =>
  (text === '' ? null : ctx.cloud ? (toAdf(text, ctx) as unknown as Json) : toJiraWiki(text, ctx));

/** A custom field's value as text: options by value, users by id, lists joined, rich text read. */
function customValue(ctx: MappingContext, value: unknown): string | null {
  if (value === null || value === undefined || value === '') return null;
  if (Array.isArray(value)) return value.map((v) => customValue(ctx, v)).filter((v) => v !== null).join(', ') || null;
  if (typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (o.type === 'doc') return readText(ctx, o);
    if (typeof o.accountId === 'string' || typeof o.key === 'string') return userId(ctx, o as JiraUser); // a user picker
    // A cascading select reads "Parent / Child", as screens.ts writes it.
    if (typeof o.value === 'string' && typeof o.child === 'object' && o.child !== null) return `${o.value} / ${String((o.child as { value?: unknown }).value)}`;
    const named = o.value ?? o.name ?? o.displayName;
    return typeof named === 'string' ? named : JSON.stringify(value);
  }
  return String(value);
}

export function toFields(ctx: MappingContext, issue: JiraIssue): ItemFields {
  const f = issue.fields;
  const renamed = propertyOf(issue, MARKER_PROPERTY).labels ?? {};
  const customFields: Record<string, string | null> = {};
  for (const field of ctx.customFields) {
    if (field.id in f) customFields[field.name] = customValue(ctx, (f as Record<string, unknown>)[field.id]);
  }
  return {
    title: f.summary,
    description: readText(ctx, f.description),
    status: f.status.name,
    closed: f.status.statusCategory.key === 'done',
    priority: f.priority?.name ?? null,
    assignee: userId(ctx, f.assignee),
    labels: [...new Set((f.labels ?? []).map((l) => renamed[l] ?? l))].sort(),
    customFields,
  };
}

export function toRemoteItem(ctx: MappingContext, issue: JiraIssue): RemoteItem {
  const { marker } = propertyOf(issue, MARKER_PROPERTY);
  return {
    remoteId: issue.id,
    key: issue.key,
    url: `${ctx.baseUrl}/browse/${issue.key}`,
    createdAt: isoDate(issue.fields.created),
    updatedAt: isoDate(issue.fields.updated),
    fields: toFields(ctx, issue),
    ...(typeof marker === 'string' ? { marker } : {}),
    // Jira has no lock token on edits: `updated` (milliseconds) lets updateItem refuse a stale write.
    version: issue.fields.updated,
    raw: issue as unknown as Json,
  };
}

export const toRemoteComment = (ctx: MappingContext, c: JiraComment): RemoteComment => ({
  remoteId: c.id,
  author: userId(ctx, c.author) ?? '',
  body: readText(ctx, c.body),
  createdAt: isoDate(c.created),
  updatedAt: isoDate(c.updated),
});

export const toRemoteAttachment = (ctx: MappingContext, a: JiraAttachment): RemoteAttachment => ({
  remoteId: a.id,
  name: a.filename,
  contentType: a.mimeType ?? 'application/octet-stream',
  size: a.size,
  author: userId(ctx, a.author) ?? 'unknown',
  createdAt: isoDate(a.created),
  downloadable: true,
});

/**
 * ItemFields → the `fields` of a create or an edit. Status is not a field in Jira: it moves by transition.
 * A custom field this Jira does not have is left out with a warning (the hub's map may hold another
 * tracker's fields), and the rest of the write goes through.
 */
export function toIssueFields(ctx: MappingContext, changes: Partial<ItemFields>, warnings: string[] = []): Record<string, Json> {
  const out: Record<string, Json> = {};
  if (changes.title !== undefined) out.summary = changes.title;
  if (changes.description !== undefined) out.description = writeText(ctx, changes.description);
  if (changes.priority !== undefined) out.priority = changes.priority === null ? null : { name: changes.priority };
  if (changes.assignee !== undefined) out.assignee = userRef(ctx, changes.assignee);
  if (changes.labels !== undefined) out.labels = remoteLabels(ctx, changes.labels).labels;
  for (const [name, value] of Object.entries(changes.customFields ?? {})) {
    const field = ctx.customFields.find((f) => f.name === name);
    if (field) out[field.id] = value;
    else warnings.push(`Jira has no custom field named ${JSON.stringify(name)}: left out`);
  }
  return out;
}
