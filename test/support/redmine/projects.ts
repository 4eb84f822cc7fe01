/** Projects and the instance-wide lists (trackers, statuses, priorities) a test builds on. */
import { randomBytes } from 'node:crypto';
import { redmineRequest } from './request';
import type { Redmine, RmPriority, RmProject, RmStatus, RmTracker } from './types';

/** A fresh, valid project identifier (lowercase, starts with a letter, ≤ 100 chars). */
export function uniqueIdentifier(prefix = 'tb'): string {
  const clean = prefix.toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/^[^a-z]+/, '') || 'tb';
  return `${clean.slice(0, 60)}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

export async function listTrackers(r: Redmine): Promise<RmTracker[]> {
  return (await redmineRequest<{ trackers: RmTracker[] }>(r, 'GET', '/trackers.json')).body.trackers;
}

export async function listStatuses(r: Redmine): Promise<RmStatus[]> {
  return (await redmineRequest<{ issue_statuses: RmStatus[] }>(r, 'GET', '/issue_statuses.json')).body.issue_statuses;
}

export async function listPriorities(r: Redmine): Promise<RmPriority[]> {
  return (await redmineRequest<{ issue_priorities: RmPriority[] }>(r, 'GET', '/enumerations/issue_priorities.json')).body.issue_priorities;
}

/**
 * Creates a public project with a unique identifier (unless given) and issue tracking enabled.
 * `trackers` are names or ids; all trackers by default.
 */
export async function createProject(
  r: Redmine,
  options: { identifier?: string; name?: string; trackers?: Array<number | string>; description?: string } = {},
): Promise<RmProject> {
  const identifier = options.identifier ?? uniqueIdentifier('tb');
  const all = await listTrackers(r);
  if (all.length === 0) throw new Error('Redmine has no trackers: run scripts/redmine.sh install (loads default data)');
  const wanted = options.trackers ?? all.map((t) => t.id);
  const trackerIds = wanted.map((w) => {
    const t = all.find((x) => x.id === w || x.name === w);
    if (!t) throw new Error(`no Redmine tracker ${String(w)} (have ${all.map((x) => x.name).join(', ')})`);
    return t.id;
  });
  // A POST retried after a 500 (sqlite busy) may find that its first attempt committed: with an
  // identifier of our own making, "already taken" then means the project is ours.
  const created = await redmineRequest<unknown>(r, 'POST', '/projects.json', {
    project: {
      identifier,
      name: options.name ?? identifier,
      description: options.description ?? '',
      is_public: true,
      tracker_ids: trackerIds,
      enabled_module_names: ['issue_tracking'],
    },
  }, { accept: options.identifier === undefined ? [422] : [] });
  if (created.status === 422 && !JSON.stringify(created.body).includes('already been taken')) {
    throw new Error(`Redmine POST /projects.json -> 422: ${JSON.stringify(created.body)}`);
  }
  return getProject(r, identifier);
}

export async function getProject(r: Redmine, identifier: string | number): Promise<RmProject> {
  const res = await redmineRequest<{ project: RmProject }>(r, 'GET', `/projects/${encodeURIComponent(String(identifier))}.json?include=trackers`);
  return res.body.project;
}
