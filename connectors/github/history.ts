/**
 * GitHub's history of an issue: its events (renamed, closed, reopened, labeled, unlabeled, assigned,
 * unassigned). Used after a write to find edits another actor made between our read and our write
 * (GitHub has no conditional PATCH). Body edits are not events: a description edited in that window
 * cannot be told from here.
 */
import type { z } from 'zod';
import type { ItemFields, RemoteItem } from '../types';
import type { GitHubApi } from './client';
import type { RepoRef } from './mapping';
import type { issueEventShape } from './shapes';

type IssueEvent = z.infer<typeof issueEventShape>;

/** Which written fields an event kind records. */
const FIELD_OF: Record<string, keyof ItemFields> = {
  renamed: 'title', closed: 'closed', reopened: 'closed', labeled: 'labels', unlabeled: 'labels', assigned: 'assignee', unassigned: 'assignee',
};

const wroteField = (wrote: Partial<ItemFields>, field: keyof ItemFields) =>
  field === 'closed' ? wrote.closed !== undefined || wrote.status !== undefined : wrote[field] !== undefined;

export async function gitHubEditsSince(api: GitHubApi, ref: RepoRef, remoteId: string, read: RemoteItem, wrote: Partial<ItemFields>): Promise<Partial<ItemFields>> {
  const fields = Object.entries(FIELD_OF).filter(([, field]) => wroteField(wrote, field)).map(([event]) => event);
  if (!fields.length) return {};
  const [events, me] = await Promise.all([api.listEvents(ref, remoteId), api.viewerLogin()]);
  const from = Date.parse(read.updatedAt);
  const touching = events.filter((e) => fields.includes(e.event) && Date.parse(e.created_at) >= from).sort((a, b) => a.id - b.id);
  // Before our own last event; an event after it is an edit the remote now holds, for the next pull to see.
  const ours = touching.findLastIndex((e) => e.actor?.login === me);
  const theirs = (ours >= 0 ? touching.slice(0, ours) : touching).filter((e) => e.actor?.login !== me);
  return replay(read.fields, theirs);
}

/** Their events applied to the fields as read; what ends where it started is no edit. */
function replay(read: ItemFields, events: IssueEvent[]): Partial<ItemFields> {
  let { title, closed, assignee } = read;
  const labels = new Set(read.labels);
  for (const e of events) {
    if (e.event === 'renamed' && e.rename) title = e.rename.to;
    else if (e.event === 'closed') closed = true;
    else if (e.event === 'reopened') closed = false;
    else if (e.event === 'labeled' && e.label) labels.add(e.label.name);
    else if (e.event === 'unlabeled' && e.label) labels.delete(e.label.name);
    else if (e.event === 'assigned' && e.assignee) assignee = e.assignee.login;
    else if (e.event === 'unassigned' && e.assignee?.login === assignee) assignee = null;
  }
  const out: Partial<ItemFields> = {};
  if (title !== read.title) out.title = title;
  if (closed !== read.closed) Object.assign(out, { closed, status: closed ? 'closed' : 'open' });
  const sorted = [...labels].sort();
  if (sorted.join('\n') !== read.labels.join('\n')) out.labels = sorted;
  if (assignee !== read.assignee) out.assignee = assignee;
  return out;
}
