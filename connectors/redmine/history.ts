/**
 * Redmine's history of an issue: journals, each with the details of the fields it changed. Used after
 * a write to find edits another actor made between our read and our write (Redmine has no conditional
 * PUT: lock_version is accepted but never shown).
 */
import type { ItemFields, RemoteItem } from '../types';
import type { RedmineApi } from './client';
import { textFromRedmine, type RedmineIssue, type RedmineJournal, type RedmineJournalDetail, type RedmineText } from './mapping';

/** The journal detail that records a change of an ItemFields field: "attr/subject", "cf/12". */
function detailKeys(wrote: Partial<ItemFields>, read: RedmineIssue): Map<string, string> {
  const keys = new Map<string, string>();
  if (wrote.title !== undefined) keys.set('attr/subject', 'title');
  if (wrote.description !== undefined) keys.set('attr/description', 'description');
  if (wrote.status !== undefined || wrote.closed !== undefined) keys.set('attr/status_id', 'status');
  if (wrote.priority !== undefined) keys.set('attr/priority_id', 'priority');
  if (wrote.assignee !== undefined) keys.set('attr/assigned_to_id', 'assignee');
  for (const name of Object.keys(wrote.customFields ?? {})) {
    const field = read.custom_fields?.find((f) => f.name === name);
    if (field) keys.set(`cf/${field.id}`, `customFields.${name}`);
  }
  return keys;
}

const keyOf = (d: RedmineJournalDetail) => `${d.property}/${d.name}`;

/** The value a detail's field had in the read, as the journal writes it (ids as strings). */
function readValue(read: RedmineIssue, key: string): string | null {
  switch (key) {
    case 'attr/subject': return read.subject;
    case 'attr/description': return (read.description ?? '').replace(/\r\n/g, '\n');
    case 'attr/status_id': return String(read.status.id);
    case 'attr/priority_id': return read.priority ? String(read.priority.id) : null;
    case 'attr/assigned_to_id': return read.assigned_to ? String(read.assigned_to.id) : null;
    default: {
      const value = read.custom_fields?.find((f) => `cf/${f.id}` === key)?.value;
      return Array.isArray(value) ? value.join(', ') : (value ?? null);
    }
  }
}

/**
 * The journals of the window: after the read's updated_on (same second included: Redmine stamps whole
 * seconds), before our own journal, touching a field we wrote. Our journal is the last one by our user
 * that touches such a field; without one (the write changed nothing there), every journal by others counts.
 */
function windowJournals(journals: RedmineJournal[], readAt: string, keys: Map<string, string>, me: number): RedmineJournal[] {
  const from = Date.parse(readAt);
  const touching = [...journals]
    .sort((a, b) => a.id - b.id)
    .filter((j) => Date.parse(j.created_on) >= from && (j.details ?? []).some((d) => keys.has(keyOf(d))));
  const ours = touching.findLastIndex((j) => j.user?.id === me);
  return ours >= 0 ? touching.slice(0, ours) : touching.filter((j) => j.user?.id !== me);
}

export async function redmineEditsSince(api: RedmineApi, project: string, remoteId: string, read: RemoteItem, wrote: Partial<ItemFields>, markup: RedmineText): Promise<Partial<ItemFields>> {
  const readIssue = read.raw as unknown as RedmineIssue;
  const keys = detailKeys(wrote, readIssue);
  if (!keys.size) return {};
  const [issue, { user }] = await Promise.all([api.getIssue(remoteId, 'journals'), api.account()]);
  // Their values, the last change per field winning; unchanged from the read means no edit.
  const theirs = new Map<string, string | null>();
  for (const journal of windowJournals(issue?.journals ?? [], read.updatedAt, keys, user.id)) {
    for (const detail of journal.details ?? []) {
      const key = keyOf(detail);
      if (!keys.has(key)) continue;
      const value = key === 'attr/description' ? (detail.new_value ?? '').replace(/\r\n/g, '\n') : (detail.new_value ?? null);
      if (value === readValue(readIssue, key)) theirs.delete(key);
      else theirs.set(key, value);
    }
  }
  return theirs.size ? toFields(api, project, theirs, readIssue, markup) : {};
}

/** Journal values (ids as strings) → ItemFields values, by the names the connector maps. */
async function toFields(api: RedmineApi, project: string, theirs: Map<string, string | null>, read: RedmineIssue, markup: RedmineText): Promise<Partial<ItemFields>> {
  const out: Partial<ItemFields> = {};
  for (const [key, value] of theirs) {
    const id = Number(value);
    if (key === 'attr/subject') out.title = value ?? '';
    else if (key === 'attr/description') out.description = textFromRedmine(value, markup);
    else if (key === 'attr/status_id') {
      const status = (await api.statuses()).find((s) => s.id === id);
      if (status) Object.assign(out, { status: status.name, closed: status.is_closed });
    } else if (key === 'attr/priority_id') {
      const priority = (await api.priorities()).find((p) => p.id === id);
      if (priority) out.priority = priority.name;
    } else if (key === 'attr/assigned_to_id') {
      if (value === null || value === '') out.assignee = null;
      else {
        const member = (await api.memberships(project)).flatMap((m) => [m.user, m.group]).find((r) => r?.id === id);
        if (member) out.assignee = member.name;
      }
    } else {
      const field = read.custom_fields?.find((f) => `cf/${f.id}` === key);
      if (field) out.customFields = { ...out.customFields, [field.name]: value === '' ? null : value };
    }
  }
  return out;
}
