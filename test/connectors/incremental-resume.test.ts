import { describe, expect, it } from 'vitest';
import { type IncrementalSource, pullIncremental } from '../../connectors/http';
import type { Json, PullPage, RemoteItem } from '../../connectors/types';

/** Redmine's listing: sub-second times shown as whole seconds, `>= since` answered as "after since minus 1 s". */
interface Row { id: number; at: number }

function redmineLike(stored: number[]): IncrementalSource<Row> {
  const items: Row[] = stored.map((at, k) => ({ id: k + 1, at }));
  const shown = (r: Row) => new Date(Math.floor(r.at / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return {
    async fetchPage({ since, page }: { since: string | null; page: number }) {
      const list = items.filter((r) => since === null || r.at > Date.parse(since) - 1000);
      const slice = list.slice(page * 100, page * 100 + 100);
      return { notModified: false as const, items: slice, hasNext: page * 100 + slice.length < list.length, etag: null };
    },
    id: (r) => String(r.id),
    updatedAt: shown,
    toItems: (rs) => rs.map((r) => ({ remoteId: String(r.id) }) as RemoteItem),
    overlapMs: 2000,
    sinceSlackMs: 1000,
    onInvalidCursor: () => undefined,
  };
}

describe('pullIncremental resumed one page per call', () => {
  it("does not repeat the items Redmine's one-second slack shows again (found by the conformance kit's resume check)", async () => {
    const source = redmineLike(Array.from({ length: 105 }, (_, k) => Date.parse('2024-01-01T00:00:00Z') + k * 280 + 130));
    const ids: string[] = [];
    let cursor: Json | null = null;
    for (let calls = 0; calls < 10; calls++) {
      const iterator = pullIncremental(source, cursor)[Symbol.asyncIterator]();
      const page = (await iterator.next()).value as PullPage;
      await iterator.return?.(undefined);
      ids.push(...page.items.map((i) => i.remoteId));
      cursor = page.next;
      if (cursor === null) break;
    }
    expect(cursor).toBeNull();
    expect(ids).toHaveLength(105);
    expect(new Set(ids).size).toBe(105);
  });
});
