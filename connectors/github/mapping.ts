import type { z } from 'zod';
import { PermanentError } from '../errors';
import { markerField, stripMarker } from '../marker';
import { stateMap } from '../states';
import type { ItemFields, Json, RemoteAttachment, RemoteComment, RemoteItem } from '../types';
import type { commentShape, issueShape } from './shapes';

/** The parts of GitHub's issue JSON we read (checked at the edge, see shapes.ts); the rest travels untouched in `raw`. */
export type GitHubIssue = z.infer<typeof issueShape>;
export type GitHubComment = z.infer<typeof commentShape>;

/** An issue is open or closed, nothing else. */
export const issueStates = stateMap({ open: 'open', closed: 'closed', service: 'GitHub' });

export interface RepoRef {
  owner: string;
  repo: string;
}

/** "owner/repo" → parts; anything else is a binding misconfiguration. */
export function parseRepo(scope: string): RepoRef {
  const match = /^([A-Za-z0-9-_.]+)\/([A-Za-z0-9-_.]+)$/.exec(scope);
  if (!match?.[1] || !match[2]) throw new PermanentError(`GitHub scope must be "owner/repo", got ${JSON.stringify(scope)}`);
  return { owner: match[1], repo: match[2] };
}

export const isPullRequest = (issue: GitHubIssue): boolean => issue.pull_request !== undefined && issue.pull_request !== null;

const labelName = (label: GitHubIssue['labels'][number]): string => (typeof label === 'string' ? label : (label.name ?? ''));

export function toFields(issue: GitHubIssue): ItemFields {
  return {
    title: issue.title,
    // Bodies typed in GitHub's web UI have CRLF line ends; the hub keeps LF for every tracker.
    description: stripMarker((issue.body ?? '').replace(/\r\n/g, '\n')),
    ...issueStates.toHub(issue.state),
    priority: null,
    assignee: issue.assignee?.login ?? null,
    labels: issue.labels.map(labelName).filter((name) => name !== '').sort(),
    customFields: {},
  };
}

export function toRemoteItem(issue: GitHubIssue, scope: string): RemoteItem {
  return {
    remoteId: String(issue.number),
    key: `${scope}#${issue.number}`,
    url: issue.html_url,
    createdAt: issue.created_at,
    updatedAt: issue.updated_at,
    fields: toFields(issue),
    commentCount: issue.comments,
    ...markerField(issue.body),
    // GitHub has no lock token; updated_at lets updateItem refuse to overwrite a newer edit.
    version: issue.updated_at,
    raw: issue as unknown as Json,
  };
}

/**
 * GitHub's API cannot upload files, so a hub file is posted as a comment linking to the hub's copy.
 * The marker tells such comments apart: they are attachments, not conversation.
 */
const FILE_MARKER = '<!-- trackbridge:file -->';
const FILE_LINK = /^📎 \[((?:\\.|[^\]\\])*)\]\(/;

export function fileLinkBody(file: { name: string; url: string; size: number }): string {
  const name = file.name.replace(/[\\[\]]/g, (c) => `\\${c}`);
  const size = file.size < 1024 ? `${file.size} B` : `${(file.size / 1024).toFixed(1)} KiB`;
  return `📎 [${name}](${file.url}) (${size})\n\n${FILE_MARKER}`;
}

export const isFileLink = (comment: GitHubComment): boolean => (comment.body ?? '').includes(FILE_MARKER);

export function toFileLink(comment: GitHubComment): RemoteAttachment | null {
  const match = FILE_LINK.exec(comment.body ?? '');
  if (!match || !isFileLink(comment)) return null;
  return {
    remoteId: String(comment.id),
    name: match[1]!.replace(/\\(.)/g, '$1'),
    contentType: 'text/uri-list',
    size: 0,
    author: comment.user?.login ?? '',
    createdAt: comment.created_at,
    downloadable: false,
  };
}

export function toRemoteComment(comment: GitHubComment): RemoteComment {
  return {
    remoteId: String(comment.id),
    author: comment.user?.login ?? '',
    body: (comment.body ?? '').replace(/\r\n/g, '\n'),
    createdAt: comment.created_at,
    updatedAt: comment.updated_at,
  };
}

/**
 * ItemFields → PATCH /issues/{n} body. Priority and custom fields have no GitHub counterpart
 * and are left out. A description written here carries no marker: it is only needed until
 * the create is linked.
 */
export function toIssuePatch(changes: Partial<ItemFields>): Record<string, Json> {
  const patch: Record<string, Json> = {};
  if (changes.title !== undefined) patch.title = changes.title;
  if (changes.description !== undefined) patch.body = changes.description;
  const state = issueStates.toRemote(changes);
  if (state !== undefined) {
    patch.state = state;
    if (state === 'closed') patch.state_reason = 'completed';
  }
  if (changes.labels !== undefined) patch.labels = [...changes.labels];
  if (changes.assignee !== undefined) patch.assignees = changes.assignee === null ? [] : [changes.assignee];
  return patch;
}
