import { PermanentError } from '../errors';
import { isGenericStatus } from '../states';
import type { ItemFields, Json } from '../types';
import type { RedmineApi } from './client';
import type { NamedRef, RedmineIssue } from './mapping';

/** The ref of that name: exact first, then case-insensitive. */
const byName = <R extends NamedRef>(refs: readonly R[], name: string): R | undefined =>
  refs.find((r) => r.name === name) ?? refs.find((r) => r.name.toLowerCase() === name.toLowerCase());

/** As byName; an unknown name is a permanent failure that names it. */
export function idByName(refs: readonly NamedRef[], name: string, what: string, scope: string): number {
  const found = byName(refs, name);
  if (!found) {
    const known = refs.map((r) => JSON.stringify(r.name)).slice(0, 20).join(', ');
    throw new PermanentError(`Redmine ${scope}: unknown ${what} ${JSON.stringify(name)} (known: ${known || 'none'})`);
  }
  return found.id;
}

/** Who can be assigned in a project: its members, users and groups. */
async function assignableId(api: RedmineApi, project: string, name: string): Promise<number> {
  const members = (await api.memberships(project)).flatMap((m) => [m.user, m.group].filter((r): r is NamedRef => r !== undefined));
  return idByName(members, name, 'assignee (not a member of the project)', project);
}

/** The status that a bare `closed` flag asks for, when no status name came with it. */
async function statusForClosed(api: RedmineApi, closed: boolean, current: RedmineIssue | null): Promise<number | undefined> {
  const statuses = await api.statuses();
  if (current) {
    const currentClosed = current.status.is_closed ?? statuses.find((s) => s.id === current.status.id)?.is_closed;
    if (currentClosed === closed) return undefined;
  }
  const target = statuses.find((s) => s.is_closed === closed);
  if (!target) throw new PermanentError(`Redmine has no ${closed ? 'closed' : 'open'} status`);
  return target.id;
}

/**
 * Custom field values by id. A name this project's issues do not have is left out with a warning, and
 * the rest of the write goes through: the hub's map may hold another tracker's fields (docs/rules.md).
 */
async function customFieldValues(
  api: RedmineApi,
  project: string,
  values: Record<string, string | null>,
  current: RedmineIssue | null,
  warnings: string[],
): Promise<Json[]> {
  const known: Array<NamedRef & { multiple?: boolean | undefined }> = current?.custom_fields ?? [];
  const missing = Object.keys(values).some((name) => !known.some((f) => f.name === name));
  const fields = missing ? [...known, ...(await api.projectCustomFields(project))] : known;
  return Object.entries(values).flatMap(([name, value]) => {
    const field = byName(fields, name);
    if (!field) {
      warnings.push(`Redmine ${project} has no issue custom field named ${JSON.stringify(name)}: left out`);
      return [];
    }
    const { id } = field;
    const multiple = field.multiple === true;
    // Read as "a, b" (see mapping), so written back split on commas; unset is "".
    const written: Json = value === null ? (multiple ? [] : '') : multiple ? value.split(',').map((v) => v.trim()) : value;
    return [{ id, value: written }];
  });
}

/**
 * ItemFields → the `issue` object of a Redmine POST or PUT, with names turned into ids.
 * Labels have no Redmine counterpart and are left out; a null priority keeps the current one
 * (Redmine requires a priority). `current` is the issue being updated, null on create.
 */
export async function toIssueBody(
  api: RedmineApi,
  project: string,
  changes: Partial<ItemFields>,
  current: RedmineIssue | null,
  warnings: string[] = [],
): Promise<Record<string, Json>> {
  const body: Record<string, Json> = {};
  if (changes.title !== undefined) body.subject = changes.title;
  if (changes.description !== undefined) body.description = changes.description;
  const statuses = changes.status !== undefined ? await api.statuses() : [];
  const named = changes.status !== undefined ? statuses.find((s) => s.name.toLowerCase() === changes.status!.toLowerCase()) : undefined;
  if (named) {
    body.status_id = named.id;
  } else if (changes.status !== undefined && isGenericStatus(changes.status)) {
    // The hub's generic "open"/"closed" (GitHub's too) mean "an open/closed status": keep the
    // current one if it already is, else the first of that kind in Redmine's order.
    const closed = changes.closed ?? changes.status.toLowerCase() === 'closed';
    const statusId = await statusForClosed(api, closed, current);
    if (statusId !== undefined) body.status_id = statusId;
  } else if (changes.status !== undefined) {
    body.status_id = idByName(statuses, changes.status, 'status', project);
  } else if (changes.closed !== undefined) {
    const statusId = await statusForClosed(api, changes.closed, current);
    if (statusId !== undefined) body.status_id = statusId;
  }
  if (changes.priority !== undefined && changes.priority !== null) {
    body.priority_id = idByName(await api.priorities(), changes.priority, 'priority', project);
  }
  if (changes.assignee !== undefined) {
    body.assigned_to_id = changes.assignee === null ? '' : await assignableId(api, project, changes.assignee);
  }
  if (changes.customFields !== undefined && Object.keys(changes.customFields).length > 0) {
    const values = await customFieldValues(api, project, changes.customFields, current, warnings);
    if (values.length > 0) body.custom_fields = values;
  }
  return body;
}
