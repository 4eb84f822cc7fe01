import { z } from 'zod';
import type { Json, PullPage, RemoteItem } from '../types';
import { MAX_PAGES_WITHOUT_PROGRESS, noProgress } from './progress';

/** At most this many items are remembered in a cursor (a page is 100). */
const PAGE_MEMORY = 200;

/**
 * The pull cursor shared by connectors whose listing is "updated at or after `since`, oldest first".
 * Two phases:
 * - `listing`: a resume point. `from` is where this listing started (its lower bound), `since` and
 *   `page` the query of the next page (`offset` its first item, with `fetchFrom`), `maxSeen` the
 *   newest remote update seen so far, `total` what the listing's first answer announced, `repeats`
 *   the [id, updated_at] of items the next page will show again (those at or after its `since`), so
 *   that a pull resumed one page per activity does not yield them twice, `boundary` the item the next
 *   page must start with (with `fetchFrom`), and `stalled` how many pages in a row brought nothing new.
 * - `watermark`: after a complete listing. The next pull asks for `since`, with If-None-Match `etag`
 *   when the remote gave one, so an unchanged scope costs one request answered 304.
 * Timestamps are the remote's own (whole seconds, UTC); the local clock never enters a cursor.
 */
const listingCursor = z.object({
  v: z.literal(1),
  phase: z.literal('listing'),
  from: z.string().nullable(),
  since: z.string().nullable(),
  page: z.number().int().nonnegative(),
  maxSeen: z.string().nullable(),
  total: z.number().int().nonnegative().nullable(),
  repeats: z.array(z.tuple([z.string(), z.string()])).max(PAGE_MEMORY).default([]),
  /** Pages in a row that brought nothing new; kept in the cursor so a listing resumed per activity is still bounded. */
  stalled: z.number().int().nonnegative().default(0),
  /** With `fetchFrom`: the item offset of the next page in its query, and the [id, updated_at] it must start with. */
  offset: z.number().int().nonnegative().default(0),
  boundary: z.tuple([z.string(), z.string()]).nullable().default(null),
  /** With `fetchAfter`: the remote's own cursor of the next page in its query (null: the query's first page). */
  after: z.string().nullable().default(null),
});
const watermarkCursor = z.object({
  v: z.literal(1),
  phase: z.literal('watermark'),
  since: z.string().nullable(),
  etag: z.string().nullable(),
});
const cursorSchema = z.discriminatedUnion('phase', [listingCursor, watermarkCursor]);

export type ListingCursor = z.infer<typeof listingCursor>;
export type WatermarkCursor = z.infer<typeof watermarkCursor>;

export type SourcePage<Raw> =
  | { notModified: true }
  | {
    notModified: false; items: Raw[]; hasNext: boolean; etag: string | null; total?: number | undefined;
    /** With `fetchAfter`: the remote's cursor of the page after this one (GitLab's keyset link, a GraphQL `pageInfo.endCursor`). */
    endCursor?: string | null | undefined;
  };

/** What a connector tells the incremental pull about its listing. */
export interface IncrementalSource<Raw> {
  /** Page `page` (0-based) of the items updated at or after `since`, oldest update first. One of `fetchPage`, `fetchFrom` and `fetchAfter` is needed. */
  fetchPage?(q: { since: string | null; page: number; ifNoneMatch: string | null }): Promise<SourcePage<Raw>>;
  /**
   * Items `offset` onwards of the same listing, one page of them: for a remote that can start a page
   * at any item (Redmine's `offset`). When set, the listing uses it instead of `fetchPage` and reads
   * its query to the end, each page starting with the item that ended the one before (see `nextPosition`).
   */
  fetchFrom?(q: { since: string | null; offset: number; ifNoneMatch: string | null }): Promise<SourcePage<Raw>>;
  /**
   * The page after the remote's cursor `after` (null: the first page) of the items updated at or after
   * `since`, oldest first: for remotes that page by cursor, not by number (GitLab's keyset pagination,
   * GraphQL connections). When set, the listing uses it instead of `fetchPage`; each page returns its
   * `endCursor`, and the listing restarts `since` as it goes, exactly as with page numbers.
   */
  fetchAfter?(q: { since: string | null; after: string | null; ifNoneMatch: string | null }): Promise<SourcePage<Raw>>;
  id(raw: Raw): string;
  updatedAt(raw: Raw): string;
  /** Items to yield; may drop some (GitHub's pull requests). */
  toItems(raws: Raw[]): Promise<RemoteItem[]> | RemoteItem[];
  overlapMs: number;
  /**
   * How much earlier than `since` the listing may start: Redmine stores sub-second times but shows
   * whole seconds, and its `>=` filter returns anything after `since` minus one second.
   */
  sinceSlackMs?: number;
  onInvalidCursor(cursor: Json): void;
  /** Names the listing in errors, e.g. "GitHub acme/widgets issues". */
  label?: string;
}

/** Remote timestamps are whole seconds; so are the `since` values we send back. */
export const isoSeconds = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const later = (a: string | null, b: string): string => (a === null || Date.parse(b) > Date.parse(a) ? b : a);

/**
 * Where the next page starts. Pages are keyed by `since`, not by page number alone: with page
 * numbers (or offsets), an item updated mid-listing moves to the end and shifts every later item
 * one place back, so the item at the page boundary would be skipped for good. Restarting from the
 * last updated_at (minus a second: `since` has one-second granularity) is immune to that. When the
 * restart would not drop even the page's first item (a page's worth of items share that second),
 * the listing steps to the next page number of the same query instead.
 *
 * A remote that can start a page at any item (`fetchFrom`) is read by offset instead, without the
 * restarts' overlap (half a page where a bulk import put 20 items in each second): each page starts
 * with the item that ended the one before, and `boundaryHolds` checks it is still that item, same
 * id and same updated_at. An item moved or removed before it shifts it, and the listing then restarts
 * from the safe point, the boundary's updated_at minus a second.
 */
function nextPosition<Raw>(
  source: IncrementalSource<Raw>, cursor: ListingCursor, raws: Raw[], endCursor: string | null,
): Pick<ListingCursor, 'since' | 'page' | 'offset' | 'boundary' | 'after'> {
  const first = raws[0];
  const last = raws.at(-1);
  const step = { since: cursor.since, page: cursor.page + 1, offset: cursor.offset, boundary: null, after: endCursor };
  if (!first || !last) return step;
  if (source.fetchFrom) {
    return { ...step, offset: cursor.offset + raws.length - 1, boundary: [source.id(last), source.updatedAt(last)] };
  }
  const restart = Date.parse(source.updatedAt(last)) - 1000;
  // The restarted query must leave out at least this page's first item, or the listing would read the
  // same page forever (a bulk edit puts hundreds of items in the same few seconds).
  const leavesOutFirst = Date.parse(source.updatedAt(first)) < restart - (source.sinceSlackMs ?? 0);
  const moves = cursor.since === null || Date.parse(cursor.since) < restart;
  if (leavesOutFirst && moves) return { ...step, since: isoSeconds(restart), page: 0, after: null };
  return step;
}

/** Whether a page read by offset starts with the item that ended the page before it, unchanged. */
function boundaryHolds<Raw>(source: IncrementalSource<Raw>, [id, updatedAt]: [string, string], raws: Raw[]): boolean {
  const first = raws[0];
  return first !== undefined && source.id(first) === id && source.updatedAt(first) === updatedAt;
}

/**
 * The query to read again after a broken boundary: everything an item shifted past the boundary can
 * be was at or after it, and is still updated at or after its updated_at (or later, when it moved).
 */
function restartAtBoundary(cursor: ListingCursor, boundary: [string, string]): ListingCursor {
  const restart = Date.parse(boundary[1]) - 1000;
  const since = cursor.since !== null && Date.parse(cursor.since) >= restart ? cursor.since : isoSeconds(restart);
  return { ...cursor, since, page: 0, offset: 0, boundary: null, after: null };
}

/**
 * Whether a page brought an item this listing has not had, within its query: an item older than the
 * `since` it was asked for is the remote repeating itself (a resumed listing no longer remembers it).
 */
function progressed<Raw>(source: IncrementalSource<Raw>, since: string | null, fresh: Raw[]): boolean {
  const from = since === null ? -Infinity : Date.parse(since) - (source.sinceSlackMs ?? 0);
  return fresh.some((item) => Date.parse(source.updatedAt(item)) >= from);
}

/** The items of `raws` that the query from `since` shows again, the remote's slack included. */
function itemsSince<Raw>(source: IncrementalSource<Raw>, raws: Raw[], since: string | null): Array<[string, string]> {
  // Redmine answers `>= since` with everything after since minus one second: those come back too.
  const from = since === null ? -Infinity : Date.parse(since) - (source.sinceSlackMs ?? 0);
  return raws
    .filter((item) => Date.parse(source.updatedAt(item)) >= from)
    .slice(-PAGE_MEMORY)
    .map((item) => [source.id(item), source.updatedAt(item)]);
}

function readCursor(raw: Json | null, onInvalid: (cursor: Json) => void): { cursor: ListingCursor; etag: string | null } {
  const parsed = raw === null ? undefined : cursorSchema.safeParse(raw);
  if (parsed && !parsed.success) onInvalid(raw);
  const start = parsed?.success ? parsed.data : undefined;
  if (start?.phase === 'listing') return { cursor: start, etag: null };
  const since = start?.since ?? null;
  const cursor: ListingCursor = { v: 1, phase: 'listing', from: since, since, page: 0, maxSeen: null, total: null, repeats: [], stalled: 0, offset: 0, boundary: null, after: null };
  return { cursor, etag: start?.etag ?? null };
}

/** The page the cursor points at: by offset or by the remote's cursor when the remote reads that way, else by number. */
function fetchListingPage<Raw>(
  source: IncrementalSource<Raw>, cursor: Pick<ListingCursor, 'since' | 'page' | 'offset' | 'after'>, ifNoneMatch: string | null,
): Promise<SourcePage<Raw>> {
  const { since } = cursor;
  if (source.fetchFrom) return source.fetchFrom({ since, offset: cursor.offset, ifNoneMatch });
  if (source.fetchAfter) return source.fetchAfter({ since, after: cursor.after, ifNoneMatch });
  if (source.fetchPage) return source.fetchPage({ since, page: cursor.page, ifNoneMatch });
  throw new Error(`${source.label ?? 'listing'}: an incremental source needs fetchPage, fetchFrom or fetchAfter`);
}

/** An incremental, resumable pull: each page says where to resume, the last one carries the watermark. */
export async function* pullIncremental<Raw>(source: IncrementalSource<Raw>, raw: Json | null): AsyncGenerator<PullPage> {
  let { cursor, etag: ifNoneMatch } = readCursor(raw, source.onInvalidCursor);
  // Last updated_at of everything seen in this run: drops boundary repeats, validates the next ETag.
  const seen = new Map<string, string>(cursor.repeats);
  let remoteSendsEtags = false;

  for (;;) {
    const cursorSince = cursor.since;
    const page = await fetchListingPage(source, cursor, ifNoneMatch);
    ifNoneMatch = null;
    if (page.notModified) {
      yield { items: [], next: null, watermark: raw, notModified: true };
      return;
    }
    const fresh = page.items.filter((item) => seen.get(source.id(item)) !== source.updatedAt(item));
    if (cursor.boundary !== null && !boundaryHolds(source, cursor.boundary, page.items)) {
      // Something before the boundary moved (an edit sends an item to the end) or went: the items
      // were shifted, and one may have slipped before this page's offset. The page is dropped unread.
      const stalled = progressed(source, cursorSince, fresh) ? 0 : cursor.stalled + 1;
      if (stalled >= MAX_PAGES_WITHOUT_PROGRESS) throw noProgress(source.label ?? 'listing', stalled);
      cursor = { ...restartAtBoundary(cursor, cursor.boundary), stalled };
      continue;
    }
    for (const item of page.items) {
      seen.set(source.id(item), source.updatedAt(item));
      cursor = { ...cursor, maxSeen: later(cursor.maxSeen, source.updatedAt(item)) };
    }
    if (cursor.total === null && page.total !== undefined) cursor = { ...cursor, total: page.total };
    remoteSendsEtags ||= page.etag !== null;
    const items = await source.toItems(fresh);
    const total = cursor.total === null ? {} : { total: cursor.total };
    if (page.hasNext && page.items.length > 0) {
      // A remote that keeps announcing more pages of items already seen would make this loop forever.
      const stalled = progressed(source, cursorSince, fresh) ? 0 : cursor.stalled + 1;
      if (stalled >= MAX_PAGES_WITHOUT_PROGRESS) throw noProgress(source.label ?? 'listing', stalled);
      const next = nextPosition(source, cursor, page.items, page.endCursor ?? null);
      // Stepping to the next page of one query, the pages read so far are remembered too: a remote that
      // shows them again is repeating itself, and a resumed listing must still recognise them. Read by
      // offset, the next page shows the boundary again, and a restart what its safe point covers.
      const repeats = next.boundary !== null ? itemsSince(source, page.items, restartAtBoundary(cursor, next.boundary).since)
        : next.page === 0 ? itemsSince(source, page.items, next.since)
          : [...cursor.repeats, ...itemsSince(source, page.items, next.since)].slice(-PAGE_MEMORY);
      cursor = { ...cursor, ...next, repeats, stalled };
      yield { items, next: cursor, watermark: null, ...total };
      continue;
    }
    const lastQuery = cursor.page === 0 ? { since: cursor.since, etag: page.etag } : undefined;
    const watermark = await nextWatermark(source, cursor, { lastQuery, seen, remoteSendsEtags });
    yield { items, next: null, watermark, ...total };
    return;
  }
}

/**
 * The cursor for the next pull: `since` = newest update seen minus the overlap (never below where
 * this listing started), and the ETag of that query's first page. Getting that ETag may cost one
 * more request; it is kept only if the page is the whole answer and holds nothing this run has not
 * seen, otherwise a change made meanwhile could hide behind a 304.
 */
async function nextWatermark<Raw>(
  source: IncrementalSource<Raw>,
  cursor: ListingCursor,
  run: {
    /** The query of the page just read, when it was a first page. */
    lastQuery: { since: string | null; etag: string | null } | undefined;
    seen: Map<string, string>;
    remoteSendsEtags: boolean;
  },
): Promise<WatermarkCursor> {
  const { lastQuery, seen } = run;
  let since = cursor.from;
  if (cursor.maxSeen !== null) since = later(since, isoSeconds(Date.parse(cursor.maxSeen) - source.overlapMs));
  if (lastQuery && lastQuery.since === since) return { v: 1, phase: 'watermark', since, etag: lastQuery.etag };
  if (!run.remoteSendsEtags) return { v: 1, phase: 'watermark', since, etag: null };

  const probe = await fetchListingPage(source, { since, page: 0, offset: 0, after: null }, null);
  if (probe.notModified) return { v: 1, phase: 'watermark', since, etag: null };
  const allSeen = probe.items.every((item) => seen.get(source.id(item)) === source.updatedAt(item));
  return { v: 1, phase: 'watermark', since, etag: !probe.hasNext && allSeen ? probe.etag : null };
}
