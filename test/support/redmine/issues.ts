/** Issues: create, edit, note, read, list by update time, and seed in bulk. */
import { redmineRequest } from './request';
import type { Redmine, RmIssue, RmIssueList } from './types';

export type IssueFields = Record<string, unknown> & {
  subject?: string;
  description?: string;
  tracker_id?: number;
  status_id?: number;
  priority_id?: number;
  notes?: string;
  private_notes?: boolean;
  custom_fields?: Array<{ id: number; value: string | string[] }>;
};

/** POST /issues.json; returns the created issue (Redmine answers 201 with the issue JSON). */
export async function createIssue(r: Redmine, project: string | number, fields: IssueFields = {}): Promise<RmIssue> {
  const res = await redmineRequest<{ issue: RmIssue }>(r, 'POST', '/issues.json', {
    issue: { project_id: project, subject: 'Untitled', ...fields },
  });
  return res.body.issue;
}

/** PUT /issues/{id}.json (Redmine answers 204, no body). Field changes become a journal with `details`. */
export async function editIssue(r: Redmine, id: number, fields: IssueFields): Promise<void> {
  await redmineRequest(r, 'PUT', `/issues/${id}.json`, { issue: fields });
}

/** Adds a journal note (PUT with `notes`). */
export async function addNote(r: Redmine, id: number, notes: string, options: { privateNotes?: boolean } = {}): Promise<void> {
  await editIssue(r, id, { notes, ...(options.privateNotes ? { private_notes: true } : {}) });
}

export async function getIssue(r: Redmine, id: number, options: { include?: string | string[] } = {}): Promise<RmIssue> {
  const include = Array.isArray(options.include) ? options.include.join(',') : options.include;
  const res = await redmineRequest<{ issue: RmIssue }>(r, 'GET', `/issues/${id}.json${include ? `?include=${encodeURIComponent(include)}` : ''}`);
  return res.body.issue;
}

/** Redmine's filter format for a timestamp: second precision, UTC, "Z" (fractions are rejected). */
export function redmineTime(t: Date | string): string {
  const d = typeof t === 'string' ? new Date(t) : t;
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export interface ListIssuesOptions {
  /** Project identifier or id. */
  project?: string | number;
  /** Adds `updated_on=>=<t>`. Note Redmine turns ">= T" into "> T - 1s" (one second of overlap). */
  updatedSince?: Date | string;
  /** Default "*" (open and closed). */
  statusId?: string | number;
  /** Default "updated_on" (ascending). Add ",id" for a stable order within one second. */
  sort?: string;
  offset?: number;
  /** Redmine caps it at 100. */
  limit?: number;
  include?: string;
}

/** One page of GET /issues.json. */
export async function listIssues(r: Redmine, options: ListIssuesOptions = {}): Promise<RmIssueList> {
  const q = new URLSearchParams();
  if (options.project !== undefined) q.set('project_id', String(options.project));
  q.set('status_id', String(options.statusId ?? '*'));
  q.set('sort', options.sort ?? 'updated_on');
  if (options.updatedSince !== undefined) q.set('updated_on', `>=${redmineTime(options.updatedSince)}`);
  q.set('offset', String(options.offset ?? 0));
  q.set('limit', String(options.limit ?? 100));
  if (options.include) q.set('include', options.include);
  // URLSearchParams encodes ">=" as %3E%3D and "*" stays literal; both are what Redmine expects.
  return (await redmineRequest<RmIssueList>(r, 'GET', `/issues.json?${q.toString()}`)).body;
}

/** Every page of listIssues (offset paging, 100 at a time). */
export async function listAllIssues(r: Redmine, options: Omit<ListIssuesOptions, 'offset' | 'limit'> = {}): Promise<RmIssue[]> {
  const out: RmIssue[] = [];
  for (let offset = 0; ; offset += 100) {
    const page = await listIssues(r, { ...options, offset, limit: 100 });
    out.push(...page.issues);
    if (page.issues.length === 0 || offset + page.issues.length >= page.total_count) return out;
  }
}

export interface SeedOptions {
  /** Every k-th issue (1-based: k, 2k, …) gets a follow-up note, i.e. a journal. Default: none. */
  withJournalsEvery?: number;
  /** Requests in flight. sqlite serialises writes: 1 is fastest (300 issues ≈ 10 s), more only adds lock 500s. Default 1. */
  concurrency?: number;
  /** Subject prefix; subjects are "<prefix> <i>" with i from 1. Default "Seeded issue". */
  subjectPrefix?: string;
  /** Extra fields per issue (tracker_id, priority_id, custom_fields…). */
  fields?: (i: number) => IssueFields;
}

/** Creates n issues (in order of i, ids ascending when concurrency is 1) and returns them. */
export async function seedIssues(r: Redmine, project: string | number, n: number, options: SeedOptions = {}): Promise<RmIssue[]> {
  const every = options.withJournalsEvery ?? 0;
  const prefix = options.subjectPrefix ?? 'Seeded issue';
  const results: RmIssue[] = new Array<RmIssue>(n);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const index = next++;
      if (index >= n) return;
      const i = index + 1;
      const issue = await createIssue(r, project, {
        subject: `${prefix} ${i}`,
        description: `Seeded description ${i}`,
        ...options.fields?.(i),
      });
      if (every > 0 && i % every === 0) await addNote(r, issue.id, `Seeded note on issue ${i}`);
      results[index] = issue;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 1, n)) }, worker));
  return results;
}
