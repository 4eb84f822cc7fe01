/**
 * Linear's history of an issue, read after a write to find what another actor changed between our
 * read and our write (C1): Linear has no conditional update, and comparing `updatedAt` just before
 * the write leaves one round trip open. Each history entry names its actor and the fields' new values;
 * a description edit is only a flag there (`updatedDescription`), so it cannot be told from here.
 */
import type { ItemFields, RemoteItem } from '@trackbridge/sdk';
import type { LinearHistory, LinearSession } from './api.js';
import { CLOSED_TYPES, CYCLE, ESTIMATE, PRIORITIES } from './mapping.js';

const some = <T>(list: T[] | null | undefined): list is T[] => Array.isArray(list) && list.length > 0;
const set = (value: unknown) => value !== null && value !== undefined;

/** What each field's change looks like in an entry, and how it is applied to the fields as read. */
const CHANGES: Array<{ wrote: (w: Partial<ItemFields>) => boolean; changed: (e: LinearHistory) => boolean; apply: (f: ItemFields, e: LinearHistory) => void }> = [
  { wrote: (w) => w.title !== undefined, changed: (e) => set(e.toTitle), apply: (f, e) => (f.title = e.toTitle!) },
  {
    wrote: (w) => w.status !== undefined || w.closed !== undefined,
    changed: (e) => set(e.toState),
    apply: (f, e) => Object.assign(f, { status: e.toState!.name, closed: CLOSED_TYPES.has(e.toState!.type) }),
  },
  { wrote: (w) => w.priority !== undefined, changed: (e) => set(e.toPriority), apply: (f, e) => (f.priority = e.toPriority! > 0 ? PRIORITIES[e.toPriority!] ?? null : null) },
  {
    wrote: (w) => w.assignee !== undefined,
    changed: (e) => set(e.fromAssigneeId) || set(e.toAssigneeId),
    apply: (f, e) => (f.assignee = e.toAssignee?.displayName ?? null),
  },
  {
    wrote: (w) => w.labels !== undefined,
    changed: (e) => some(e.addedLabels) || some(e.removedLabels),
    apply: (f, e) => {
      const removed = new Set((e.removedLabels ?? []).map((l) => l.name));
      f.labels = [...f.labels.filter((l) => !removed.has(l)), ...(e.addedLabels ?? []).map((l) => l.name).filter((l) => !f.labels.includes(l))];
    },
  },
  {
    wrote: (w) => w.customFields !== undefined && ESTIMATE in w.customFields,
    changed: (e) => set(e.fromEstimate) || set(e.toEstimate),
    apply: (f, e) => (f.customFields = { ...f.customFields, [ESTIMATE]: set(e.toEstimate) ? String(e.toEstimate) : null }),
  },
  {
    wrote: (w) => w.customFields !== undefined && CYCLE in w.customFields,
    changed: (e) => set(e.fromCycleId) || set(e.toCycleId),
    apply: (f, e) => (f.customFields = { ...f.customFields, [CYCLE]: e.toCycle ? String(e.toCycle.number) : null }),
  },
];

export async function linearEditsSince(api: LinearSession, remoteId: string, read: RemoteItem, wrote: Partial<ItemFields>): Promise<Partial<ItemFields>> {
  const asked = CHANGES.filter((c) => c.wrote(wrote));
  if (!asked.length) return {};
  const [entries, { id: me }] = await Promise.all([api.history(remoteId), api.viewer()]);
  const from = Date.parse(read.updatedAt);
  const touching = entries.filter((e) => Date.parse(e.createdAt) >= from).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  // Before our own last entry; one after it is an edit the issue now holds, for the next pull to see.
  const ours = touching.map((e) => e.actor?.id).lastIndexOf(me);
  const theirs = (ours >= 0 ? touching.slice(0, ours) : touching).filter((e) => e.actor?.id !== me);
  const fields: ItemFields = { ...read.fields, labels: [...read.fields.labels], customFields: { ...read.fields.customFields } };
  for (const entry of theirs) for (const change of asked) if (change.changed(entry)) change.apply(fields, entry);
  return changedFrom(read.fields, fields);
}

/** The fields whose value moved; what ends where it started is no edit. */
function changedFrom(read: ItemFields, now: ItemFields): Partial<ItemFields> {
  const out: Partial<ItemFields> = {};
  if (now.title !== read.title) out.title = now.title;
  if (now.status !== read.status || now.closed !== read.closed) Object.assign(out, { status: now.status, closed: now.closed });
  if (now.priority !== read.priority) out.priority = now.priority;
  if (now.assignee !== read.assignee) out.assignee = now.assignee;
  if ([...now.labels].sort().join('\n') !== [...read.labels].sort().join('\n')) out.labels = now.labels;
  const custom = Object.fromEntries(Object.entries(now.customFields).filter(([name, value]) => value !== (read.customFields[name] ?? null)));
  if (Object.keys(custom).length) out.customFields = custom;
  return out;
}
