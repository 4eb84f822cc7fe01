import { z } from 'zod';
import { parseLinkHeader } from '../http';
import type { Json, PullPage } from '../types';
import type { GitHubApi } from './client';
import { type GitHubIssue, type RepoRef, isPullRequest, toRemoteItem } from './mapping';

/**
 * The pull cursor. Two phases:
 * - `listing`: mid-listing resume point. `from` is where this listing started (its lower bound),
 *   `since`/`page` the query of the next page, `maxSeen` the newest remote updated_at so far.
 * - `watermark`: after a complete listing. The next pull asks for `since` with If-None-Match: `etag`,
 *   so an unchanged repository costs one request answered 304.
 * Timestamps are GitHub's own (whole seconds, UTC); the local clock never enters a cursor.
 */
const listingCursor = z.object({
  v: z.literal(1),
  phase: z.literal('listing'),
  from: z.string().nullable(),
  since: z.string().nullable(),
  page: z.number().int().positive(),
  maxSeen: z.string().nullable(),
});
const watermarkCursor = z.object({
  v: z.literal(1),
  phase: z.literal('watermark'),
  since: z.string().nullable(),
  etag: z.string().nullable(),
});
const cursorSchema = z.discriminatedUnion('phase', [listingCursor, watermarkCursor]);

type ListingCursor = z.infer<typeof listingCursor>;
type WatermarkCursor = z.infer<typeof watermarkCursor>;

export const isoSeconds = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const later = (a: string | null, b: string): string => (a === null || Date.parse(b) > Date.parse(a) ? b : a);

export interface PullOptions {
  overlapMs: number;
  onInvalidCursor(cursor: Json): void;
}

/**
 * Where the next page starts. Pages are keyed by `since` rather than by page number: with
 * page numbers, an item updated mid-listing moves to the end and shifts every later item
 * one place back, so the item at the page boundary would be skipped for good. Restarting
 * from the last updated_at (minus a second, as `since` granularity is one second) is immune
 * to that; only when a whole page shares that second do we fall back to the next page number.
 */
function nextPosition(cursor: ListingCursor, issues: GitHubIssue[]): Pick<ListingCursor, 'since' | 'page'> {
  const last = issues.at(-1);
  if (!last) return { since: cursor.since, page: cursor.page + 1 };
  const restart = isoSeconds(Date.parse(last.updated_at) - 1000);
  if (cursor.since === null || Date.parse(restart) > Date.parse(cursor.since)) return { since: restart, page: 1 };
  return { since: cursor.since, page: cursor.page + 1 };
}

/** Incremental pull of one repository's issues, oldest update first, pull requests skipped. */
export async function* pullIssues(api: GitHubApi, ref: RepoRef, scope: string, raw: Json | null, options: PullOptions): AsyncGenerator<PullPage> {
  const parsed = raw === null ? undefined : cursorSchema.safeParse(raw);
  if (parsed && !parsed.success) options.onInvalidCursor(raw);
  const start = parsed?.success ? parsed.data : undefined;

  let cursor: ListingCursor = start?.phase === 'listing'
    ? start
    : { v: 1, phase: 'listing', from: start?.since ?? null, since: start?.since ?? null, page: 1, maxSeen: null };
  let ifNoneMatch = start?.phase === 'watermark' ? start.etag : null;
  // updated_at of every issue or PR seen in this run: drops boundary repeats, validates the next ETag.
  const seen = new Map<number, string>();

  for (;;) {
    const res = await api.listIssuesPage(ref, { since: cursor.since, page: cursor.page, ifNoneMatch });
    ifNoneMatch = null;
    if (res.notModified) {
      yield { items: [], next: null, watermark: raw, notModified: true };
      return;
    }
    const fresh = res.data.filter((issue) => seen.get(issue.number) !== issue.updated_at);
    for (const issue of res.data) {
      seen.set(issue.number, issue.updated_at);
      cursor = { ...cursor, maxSeen: later(cursor.maxSeen, issue.updated_at) };
    }
    const items = fresh.filter((issue) => !isPullRequest(issue)).map((issue) => toRemoteItem(issue, scope));
    const hasNext = parseLinkHeader(res.headers.get('link')).next !== undefined && res.data.length > 0;
    if (hasNext) {
      cursor = { ...cursor, ...nextPosition(cursor, res.data) };
      yield { items, next: cursor, watermark: null };
      continue;
    }
    const lastQuery = cursor.page === 1 ? { since: cursor.since, etag: res.etag } : undefined;
    const watermark = await nextWatermark(api, ref, cursor, lastQuery, seen, options.overlapMs);
    yield { items, next: null, watermark };
    return;
  }
}

/**
 * The cursor for the next incremental pull: `since` = newest updated_at seen minus the overlap
 * (never below where this listing started), and the ETag of that query's first page. Getting
 * the ETag may cost one more request; it is kept only if that page holds nothing we have not
 * seen and is the whole answer, otherwise a later change could hide behind a 304.
 */
async function nextWatermark(
  api: GitHubApi,
  ref: RepoRef,
  cursor: ListingCursor,
  lastQuery: { since: string | null; etag: string | null } | undefined,
  seen: Map<number, string>,
  overlapMs: number,
): Promise<WatermarkCursor> {
  let since = cursor.from;
  if (cursor.maxSeen !== null) since = later(since, isoSeconds(Date.parse(cursor.maxSeen) - overlapMs));
  if (lastQuery && lastQuery.since === since) return { v: 1, phase: 'watermark', since, etag: lastQuery.etag };

  const probe = await api.listIssuesPage(ref, { since, page: 1 });
  if (probe.notModified) return { v: 1, phase: 'watermark', since, etag: null };
  const complete = parseLinkHeader(probe.headers.get('link')).next === undefined;
  const allSeen = probe.data.every((issue) => seen.get(issue.number) === issue.updated_at);
  return { v: 1, phase: 'watermark', since, etag: complete && allSeen ? probe.etag : null };
}
