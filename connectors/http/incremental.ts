import { z } from 'zod';
import type { Json, PullPage, RemoteItem } from '../types';
import { MAX_PAGES_WITHOUT_PROGRESS, noProgress } from './progress';

/** At most this many items are remembered in a cursor (a page is 100). */
const PAGE_MEMORY = 200;

/**
 * The pull cursor shared by connectors whose listing is "updated at or after `since`, oldest first".
 * Two phases:
 * - `listing`: a resume point. `from` is where this listing started (its lower bound), `since` and
 *   `page` the query of the next page, `maxSeen` the newest remote update seen so far, `total` what
 *   the listing's first answer announced, `repeats` the [id, updated_at] of items the next page will
 *   show again (those at or after its `since`), so that a pull resumed one page per activity does
 *   not yield them twice, and `stalled` how many pages in a row brought nothing new.
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
  | { notModified: false; items: Raw[]; hasNext: boolean; etag: string | null; total?: number | undefined };

/** What a connector tells the incremental pull about its listing. */
export interface IncrementalSource<Raw> {
  /** Page `page` (0-based) of the items updated at or after `since`, oldest update first. */
  fetchPage(q: { since: string | null; page: number; ifNoneMatch: string | null }): Promise<SourcePage<Raw>>;
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
 */
function nextPosition<Raw>(source: IncrementalSource<Raw>, cursor: ListingCursor, raws: Raw[]): Pick<ListingCursor, 'since' | 'page'> {
  const first = raws[0];
  const last = raws.at(-1);
  if (!first || !last) return { since: cursor.since, page: cursor.page + 1 };
  const restart = Date.parse(source.updatedAt(last)) - 1000;
  // The restarted query must leave out at least this page's first item, or the listing would read the
  // same page forever (a bulk edit puts hundreds of items in the same few seconds).
  const leavesOutFirst = Date.parse(source.updatedAt(first)) < restart - (source.sinceSlackMs ?? 0);
  const moves = cursor.since === null || Date.parse(cursor.since) < restart;
  if (leavesOutFirst && moves) return { since: isoSeconds(restart), page: 0 };
  return { since: cursor.since, page: cursor.page + 1 };
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
  return { cursor: { v: 1, phase: 'listing', from: since, since, page: 0, maxSeen: null, total: null, repeats: [], stalled: 0 }, etag: start?.etag ?? null };
}

/** An incremental, resumable pull: each page says where to resume, the last one carries the watermark. */
export async function* pullIncremental<Raw>(source: IncrementalSource<Raw>, raw: Json | null): AsyncGenerator<PullPage> {
  let { cursor, etag: ifNoneMatch } = readCursor(raw, source.onInvalidCursor);
  // Last updated_at of everything seen in this run: drops boundary repeats, validates the next ETag.
  const seen = new Map<string, string>(cursor.repeats);
  let remoteSendsEtags = false;

  for (;;) {
    const cursorSince = cursor.since;
    const page = await source.fetchPage({ since: cursorSince, page: cursor.page, ifNoneMatch });
    ifNoneMatch = null;
    if (page.notModified) {
      yield { items: [], next: null, watermark: raw, notModified: true };
      return;
    }
    const fresh = page.items.filter((item) => seen.get(source.id(item)) !== source.updatedAt(item));
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
      const next = nextPosition(source, cursor, page.items);
      // Stepping to the next page of one query, the pages read so far are remembered too: a remote that
      // shows them again is repeating itself, and a resumed listing must still recognise them.
      const repeats = next.page === 0 ? itemsSince(source, page.items, next.since) : [...cursor.repeats, ...itemsSince(source, page.items, next.since)].slice(-PAGE_MEMORY);
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

  const probe = await source.fetchPage({ since, page: 0, ifNoneMatch: null });
  if (probe.notModified) return { v: 1, phase: 'watermark', since, etag: null };
  const allSeen = probe.items.every((item) => seen.get(source.id(item)) === source.updatedAt(item));
  return { v: 1, phase: 'watermark', since, etag: !probe.hasNext && allSeen ? probe.etag : null };
}
