import { describe, expect, it } from 'vitest';
import { type IncrementalSource, pullIncremental } from '../../connectors/http';
import type { Json, PullPage, RemoteItem } from '../../connectors/types';

/**
 * A listing read by offset (`fetchFrom`), as Redmine's is: sub-second update times shown as whole
 * seconds, sorted by (time, id), `>= since` answered as "after since minus 1 s", pages of 100 from any
 * offset. Items can be edited (moved to the end) or deleted between two pages, as on a live remote.
 */
interface Row { id: number; at: number }
const T0 = Date.parse('2024-01-01T00:00:00Z');
const shown = (at: number) => new Date(Math.floor(at / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

function liveRemote(n: number, perSecond: number, options: { ignoresOffset?: boolean } = {}) {
  const rows = new Map<number, number>(Array.from({ length: n }, (_, k) => [k + 1, T0 + Math.floor((k * 1000) / perSecond) + 25]));
  const fetches: Array<{ since: string | null; offset: number }> = [];
  const listing = (since: string | null): Row[] => [...rows]
    .map(([id, at]) => ({ id, at }))
    .filter((r) => since === null || r.at > Date.parse(since) - 1000)
    .sort((a, b) => a.at - b.at || a.id - b.id);
  const source: IncrementalSource<Row> = {
    async fetchFrom({ since, offset }) {
      fetches.push({ since, offset });
      const list = listing(since);
      const from = options.ignoresOffset ? 0 : offset;
      const items = list.slice(from, from + 100);
      return { notModified: false, items, hasNext: offset + items.length < list.length, etag: null, total: list.length };
    },
    fetchPage: () => Promise.reject(new Error('read by offset, never by page number')),
    id: (r) => String(r.id),
    updatedAt: (r) => shown(r.at),
    toItems: (rs) => rs.map((r) => ({ remoteId: String(r.id), updatedAt: shown(r.at) }) as RemoteItem),
    overlapMs: 2000,
    sinceSlackMs: 1000,
    onInvalidCursor: () => undefined,
  };
  return {
    source,
    fetches,
    newest: () => Math.max(...rows.values()),
    edit: (id: number, at: number) => rows.set(id, at),
    remove: (id: number) => rows.delete(id),
  };
}

/** Reads one page per call from the cursor, as the sync activities do; `between` runs after each page. */
async function pullByPage(source: IncrementalSource<Row>, between: (pagesRead: number) => void = () => undefined) {
  const yielded: Array<[string, string]> = [];
  let cursor: Json | null = null;
  let pages = 0;
  do {
    const iterator = pullIncremental(source, cursor)[Symbol.asyncIterator]();
    const page = (await iterator.next()).value as PullPage;
    await iterator.return?.(undefined);
    yielded.push(...page.items.map((i): [string, string] => [i.remoteId, i.updatedAt ?? '']));
    cursor = page.next;
    between(++pages);
  } while (cursor !== null && pages < 50);
  expect(cursor).toBeNull();
  return yielded;
}

const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, k) => String(a + k));

describe('pullIncremental by offset, each page starting on the item that ended the last', () => {
  it('reads a bulk import (20 items a second) in pages that overlap by that one item only', async () => {
    const remote = liveRemote(1000, 20);
    const ids = (await pullByPage(remote.source)).map(([id]) => id);
    expect(ids).toEqual(range(1, 1000));
    // Offsets 0, 99, 198 … 990: what a plain download of 10 pages reads, plus one for the shared items.
    expect(remote.fetches.map((f) => f.offset)).toEqual(Array.from({ length: 11 }, (_, k) => k * 99));
    expect(remote.fetches.every((f) => f.since === null)).toBe(true);
  });

  it.each([
    ['edited', (remote: ReturnType<typeof liveRemote>) => {
      remote.edit(11, remote.newest() + 5000);
      remote.edit(21, remote.newest() + 1000);
    }],
    ['deleted', (remote: ReturnType<typeof liveRemote>) => {
      remote.remove(11);
      remote.remove(21);
    }],
  ])('misses no item when two items of a page read are %s before the next page is read', async (what, change) => {
    const remote = liveRemote(250, 20);
    const yielded = await pullByPage(remote.source, (pages) => {
      if (pages === 1) change(remote);
    });
    // Items 101 and 102 moved two places back, to offsets 98 and 99, so the next page (offset 99) starts
    // with 102: a plain offset listing never reads 101. The broken boundary restarts the query at its time.
    const ids = new Set(yielded.map(([id]) => id));
    const expected = what === 'edited' ? range(1, 250) : range(1, 250).filter((id) => id !== '11' && id !== '21');
    expect(expected.filter((id) => !ids.has(id))).toEqual([]);
    expect(remote.fetches[1]).toEqual({ since: null, offset: 99 });
    expect(remote.fetches[2]).toEqual({ since: shown(T0 + 99 * 50 + 25 - 1000), offset: 0 });
    if (what === 'edited') {
      // The edited items are read again, in their new state, at the end of the listing.
      const times = (id: string) => yielded.filter(([seen]) => seen === id).map(([, at]) => at);
      expect(times('11')).toEqual([shown(T0 + 10 * 50 + 25), shown(T0 + 249 * 50 + 25 + 5000)]);
      expect(times('21')).toEqual([shown(T0 + 20 * 50 + 25), shown(T0 + 249 * 50 + 25 + 6000)]);
    }
  });

  it('an edit to an item not read yet keeps the boundary: no restart, the item read once, at the end', async () => {
    const remote = liveRemote(250, 20);
    const yielded = await pullByPage(remote.source, (pages) => {
      if (pages === 1) remote.edit(150, remote.newest() + 3000);
    });
    expect(yielded.map(([id]) => id).sort()).toEqual(range(1, 250).sort());
    expect(yielded.at(-1)?.[0]).toBe('150');
    expect(remote.fetches.map((f) => f.offset)).toEqual([0, 99, 198]);
  });

  it('a remote that ignores the offset is still read to the end by restarts, or stops on no progress', async () => {
    const spread = liveRemote(250, 20, { ignoresOffset: true });
    expect(new Set((await pullByPage(spread.source)).map(([id]) => id))).toEqual(new Set(range(1, 250)));

    // 250 items in one second: a restart from the boundary is the same query, and it cannot move on.
    const bulk = liveRemote(250, 1000, { ignoresOffset: true });
    await expect(pullByPage(bulk.source)).rejects.toThrow(/pages in a row brought no new item/);
  });
});
