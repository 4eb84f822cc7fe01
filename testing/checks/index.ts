import type { ConformanceEnv } from '../env';
import { errors } from './errors';
import { notModified, pagination, resume, watermark } from './listing';
import { commentAdd, commentRoundTrip, conflict, markerAdoption, unicode } from './writes';

export type Check = (env: ConformanceEnv) => Promise<void>;

/** Each check throws a ConformanceFailure when the connector breaks its contract. */
export const checks = { pagination, resume, watermark, notModified, errors, markerAdoption, commentAdd, commentRoundTrip, conflict, unicode } satisfies Record<string, Check>;

export type CheckName = keyof typeof checks;

/** What a check can need beyond a reader: a capability, edits of comments, or conditional requests. */
export type CheckNeed = 'writer' | 'comments' | 'commentEdits' | 'conditionalRequests';

/** What a check needs beyond a reader, and the test title it runs under. */
export const checkInfo: Record<CheckName, { title: string; needs?: CheckNeed }> = {
  pagination: { title: 'pagination: lists more than a page to the end, each item once' },
  resume: { title: 'resume: a listing resumed from page 1\'s cursor loses and repeats nothing' },
  watermark: { title: 'watermark: the next pull returns what changed, plus only the overlap window' },
  notModified: { title: '304: a quiet re-pull is notModified and costs no page of items', needs: 'conditionalRequests' },
  errors: { title: 'errors: 503/429 transient, 401 auth, 404/422 permanent' },
  markerAdoption: { title: 'marker adoption: a create whose answer was lost is found by its marker (I1)', needs: 'writer' },
  commentAdd: { title: 'comments: an added comment is listed with its body', needs: 'comments' },
  commentRoundTrip: { title: 'comments: add then update, both visible in listComments', needs: 'commentEdits' },
  conflict: { title: 'conflict: an update on a stale version raises a conflict after an out-of-band edit', needs: 'writer' },
  unicode: { title: 'unicode: emoji, RTL, combining marks and a 60 KB body survive create → getItem', needs: 'writer' },
};
