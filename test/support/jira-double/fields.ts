/** Reading the `fields` of a create or an edit as Jira does: each wrong one is named in `errors`, nothing is written. */
import { readCustom } from './screens';
import { ISSUE_TYPES, PRIORITIES, type IssueRecord, type Store, type UserRecord } from './store';
import type { AdfNode, Deployment, RichText } from './types';

export type FieldChanges = Partial<Pick<IssueRecord, 'summary' | 'description' | 'priority' | 'assignee' | 'labels' | 'issueType' | 'custom'>> & { project?: string };
/** An edit's issue: its project and type say which edit screen applies. */
export interface EditTarget { project: string; issueType: string }
export type Parsed<T> = { ok: true; value: T } | { ok: false; errors: Record<string, string> };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const notSettable = (field: string) => `Field '${field}' cannot be set. It is not on the appropriate screen, or unknown.`;

function isAdfDoc(v: unknown): v is AdfNode {
  return isObject(v) && v.type === 'doc' && v.version === 1 && Array.isArray(v.content);
}

/** Rich text as the API version takes it: an ADF document on v3, a wiki string on v2. */
export function readRichText(version: '2' | '3', value: unknown): RichText | null | { error: string } {
  if (value === null) return null;
  if (version === '3') return isAdfDoc(value) ? value : { error: 'Operation value must be an Atlassian Document (see the Atlassian Document Format)' };
  return typeof value === 'string' ? value : { error: 'Operation value must be a string' };
}

function readUser(store: Store, deployment: Deployment, value: unknown): UserRecord | null | { error: string } {
  if (value === null) return null;
  if (!isObject(value)) return { error: 'expected Object' };
  const found = store.userBy(value);
  if (found) return found;
  return { error: deployment === 'cloud' ? 'Specified user does not exist or you do not have required permissions' : `User '${String(value.name ?? value.key)}' does not exist.` };
}

/**
 * `target` absent: a create, whose project and issue type come in `raw`; summary and the create screen's
 * required fields must be given. A field off the screen that applies is refused as Jira refuses it.
 */
export function readFields(store: Store, deployment: Deployment, version: '2' | '3', raw: unknown, target?: EditTarget): Parsed<FieldChanges> {
  if (!isObject(raw)) return { ok: false, errors: { fields: 'expected Object' } };
  const create = target === undefined;
  const errors: Record<string, string> = {};
  const out: FieldChanges = {};
  const custom: Record<string, unknown> = {};
  if (create) {
    const [p, t] = [raw.project, raw.issuetype];
    const project = isObject(p) ? [...store.projects.values()].find((x) => x.key === p.key || x.id === p.id)?.key : undefined;
    if (project) out.project = project; else errors.project = 'Specify a valid project ID or key';
    const type = isObject(t) ? ISSUE_TYPES.find((x) => x.name === t.name || x.id === t.id) : undefined;
    if (type) out.issueType = type.name; else errors.issuetype = 'Specify an issue type';
  }
  const where = target ?? (out.project && out.issueType ? { project: out.project, issueType: out.issueType } : undefined);
  const screen = where && store.screens.of(where.project, where.issueType);
  for (const [field, value] of Object.entries(raw)) {
    if (create && (field === 'project' || field === 'issuetype')) continue;
    const customField = store.customFields.find((f) => f.id === field);
    if (screen && (create ? screen.notOnCreate : screen.notOnEdit).has(field)) errors[field] = notSettable(field);
    else if (field === 'summary') {
      if (typeof value !== 'string' || value.trim() === '') errors.summary = 'You must specify a summary of the issue.';
      else if (value.length > 255) errors.summary = 'Summary must be less than 255 characters.';
      else out.summary = value;
    } else if (field === 'description') {
      const text = readRichText(version, value);
      if (text !== null && typeof text === 'object' && 'error' in text) errors.description = text.error; else out.description = text;
    } else if (field === 'priority') {
      const name = value === null ? null : isObject(value) ? (value.name ?? PRIORITIES[Number(value.id) - 1]) : undefined;
      if (name === null) out.priority = null;
      else if (typeof name === 'string' && PRIORITIES.includes(name)) out.priority = name;
      else errors.priority = 'Specify the Priority (id or name) in the proper format';
    } else if (field === 'assignee') {
      const user = readUser(store, deployment, value);
      if (user !== null && 'error' in user) errors.assignee = user.error; else out.assignee = user;
    } else if (field === 'labels') {
      if (!Array.isArray(value) || !value.every((l): l is string => typeof l === 'string')) errors.labels = 'expected Array of String';
      else if (value.some((l) => /\s/.test(l))) errors.labels = `The label '${value.find((l) => /\s/.test(l))}' contains spaces which is invalid.`;
      else out.labels = [...value];
    } else if (customField) {
      const read = readCustom(customField, value, (v) => readUser(store, deployment, v), (v) => readRichText(version, v));
      if ('error' in read) errors[field] = read.error; else custom[field] = read.value;
    } else {
      errors[field] = notSettable(field);
    }
  }
  if (create) {
    if (out.summary === undefined && !errors.summary) errors.summary = 'You must specify a summary of the issue.';
    for (const id of screen?.required ?? []) {
      const given = id in custom ? custom[id] : (out as Record<string, unknown>)[id];
      if ((given === undefined || given === null) && !errors[id]) errors[id] = `${store.customFields.find((f) => f.id === id)?.name ?? id} is required.`;
    }
  }
  if (Object.keys(custom).length) out.custom = custom;
  return Object.keys(errors).length ? { ok: false, errors } : { ok: true, value: out };
}
