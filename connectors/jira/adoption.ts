/**
 * I1 on Jira: finding the issue a crashed create made. Jira cannot search an entity property for a
 * REST client (only an app can declare the index), so the marker is read by key on each candidate:
 * first the issues search shows our user created since the create's last attempt (less clock skew),
 * the ones with the title it sent first; then, as search lags writes, the keys after the newest issue
 * search shows, read one by one (reads by key are consistent). A miss is final only once the attempt is
 * older than the search lag bound: before that the issue may be both unindexed and beyond the probe
 * (a run of deleted keys in between), so adoption is retried rather than the issue created twice.
 */
import { PermanentError, TransientError } from '../errors';
import type { AdoptionHint } from '../types';
import { MARKER_PROPERTY, type JiraApi } from './client';

/** Jira's clocks and ours may disagree by this much: the search window for a create starts this early. */
const CLOCK_SKEW_MS = 5 * 60_000;
/** Candidates read for a marker at most: a window holding more is the probe's and the retry's. */
const MAX_CANDIDATES = 200;

const markerIn = (value: unknown): unknown => (typeof value === 'object' && value !== null ? (value as { marker?: unknown }).marker : undefined);

/** Issues the JQL finds (ids and summaries only), those with `title` first. */
async function createdByUs(api: JiraApi, jql: string, title: string | undefined): Promise<string[]> {
  const hits: Array<{ id: string; summary: unknown }> = [];
  for (let page = 0; hits.length < MAX_CANDIDATES; page++) {
    const res = await api.searchSummaries(jql, page, { max: 100 });
    hits.push(...res.issues.map((i) => ({ id: i.id, summary: i.fields.summary })));
    if (!res.hasNext) break;
  }
  return [...hits.filter((h) => h.summary === title), ...hits.filter((h) => h.summary !== title)].map((h) => h.id);
}

/** The first of `ids` whose marker property (read by key) is `marker`. */
async function markedAmong(api: JiraApi, ids: string[], marker: string): Promise<string | undefined> {
  for (const id of ids) if (markerIn(await api.property(id, MARKER_PROPERTY)) === marker) return id;
  return undefined;
}

/** The number of the project's newest key that search shows (0 when it shows none). */
async function newestKnown(api: JiraApi, project: string): Promise<number> {
  const [newest] = (await api.searchSummaries(`${project} ORDER BY key DESC`, 0, { max: 1 })).issues;
  return newest ? Number(newest.key.split('-').at(-1)) : 0;
}

/** Issues search does not show yet: the keys after `last`, read one by one until a few in a row are missing. */
async function probeAfter(api: JiraApi, scope: string, last: number, marker: string): Promise<string | undefined> {
  for (let n = last + 1, misses = 0; misses < 3 && n <= last + 50; n++) {
    const issue = await api.issueProperties(`${scope}-${n}`, MARKER_PROPERTY);
    misses = issue ? 0 : misses + 1;
    if (issue && markerIn(issue.properties?.[MARKER_PROPERTY]) === marker) return issue.id;
  }
  return undefined;
}

/** The id of the issue carrying `marker` in `scope`, or undefined once it is certain there is none. */
export async function findMarked(api: JiraApi, scope: string, project: string, marker: string, hint: AdoptionHint | undefined, lagMs: number): Promise<string | undefined> {
  if (!/^[A-Za-z0-9._:-]{1,100}$/.test(marker)) throw new PermanentError(`invalid marker ${JSON.stringify(marker)}`);
  const since = hint ? Date.parse(hint.since) : Number.NaN;
  const window = Number.isNaN(since) ? '' : ` AND created >= ${since - CLOCK_SKEW_MS}`;
  const found = await markedAmong(api, await createdByUs(api, `${project} AND creator = currentUser()${window} ORDER BY created DESC`, hint?.title), marker)
    ?? await probeAfter(api, scope, await newestKnown(api, project), marker);
  if (found) return found;
  const settledAt = since + lagMs;
  if (Date.now() < settledAt) {
    throw new TransientError(`Jira: no issue of ${scope} carries marker ${marker} yet, but search may not show a create from ${hint?.since} until ${new Date(settledAt).toISOString()}`, undefined, settledAt - Date.now());
  }
  return undefined;
}
