/** GitLab issues and notes ↔ the hub's fields. */
import { type ItemFields, type Json, type RemoteComment, type RemoteItem, PermanentError, appendMarker, markerIn, stateMap, stripMarker } from '@trackbridge/sdk';
import type { MentionText } from './mentions.js';
import type { GitLabIssue, GitLabNote } from './shapes.js';

/** GitLab's two issue states, as the hub's open and closed; a write closes or reopens with a `state_event`. */
export const states = stateMap({ open: 'opened', closed: 'closed', service: 'GitLab' });

/** Custom fields by the names the hub addresses them with (`customFields.Milestone`, `customFields.Weight`). */
export const MILESTONE = 'Milestone';
export const WEIGHT = 'Weight';

export function toRemoteItem(issue: GitLabIssue, scope: string, text: MentionText): RemoteItem {
  const marker = markerIn(issue.description);
  return {
    remoteId: String(issue.iid),
    key: issue.references?.full ?? `${scope}#${issue.iid}`,
    url: issue.web_url,
    createdAt: issue.created_at,
    updatedAt: issue.updated_at,
    fields: {
      title: issue.title,
      description: text.toHub(stripMarker((issue.description ?? '').replace(/\r\n/g, '\n'))),
      ...states.toHub(issue.state),
      priority: null,
      assignee: issue.assignees[0]?.username ?? null,
      labels: [...issue.labels],
      customFields: {
        [MILESTONE]: issue.milestone?.title ?? null,
        ...(issue.weight === undefined ? {} : { [WEIGHT]: issue.weight === null ? null : String(issue.weight) }),
      },
    },
    ...(issue.user_notes_count === undefined ? {} : { commentCount: issue.user_notes_count }),
    version: issue.updated_at,
    ...(marker === undefined ? {} : { marker }),
    raw: issue as Json,
  };
}

export const toRemoteComment = (note: GitLabNote, text: MentionText): RemoteComment => ({
  remoteId: String(note.id), author: note.author.username, body: text.toHub(note.body), createdAt: note.created_at, updatedAt: note.updated_at,
});

/** A weight as GitLab takes it: a whole number from 0, or null to clear it. */
export function toWeight(value: string | null): number | null {
  if (value === null || value.trim() === '') return null;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new PermanentError(`GitLab: a weight is a whole number from 0, not ${JSON.stringify(value)}`, 400);
  return n;
}

/** The hub fields a write sends, in GitLab's terms; ids (assignee, milestone) are resolved by the caller. */
export interface IssueWrite {
  title?: string;
  description?: string;
  state_event?: 'close' | 'reopen';
  labels?: string[];
}

export function toIssueWrite(changes: Partial<ItemFields>, text: MentionText, current?: GitLabIssue): IssueWrite {
  const body: IssueWrite = {};
  if (changes.title !== undefined) body.title = changes.title;
  if (changes.description !== undefined) {
    // The create marker stays where it was: the engine adopts by it until the link is stored.
    const marker = markerIn(current?.description);
    const description = text.toGitLab(changes.description);
    body.description = marker === undefined ? description : appendMarker(description, marker);
  }
  const state = states.toRemote(changes, current?.state);
  if (state !== undefined && state !== current?.state) body.state_event = state === 'closed' ? 'close' : 'reopen';
  if (changes.labels !== undefined) body.labels = [...changes.labels];
  return body;
}
