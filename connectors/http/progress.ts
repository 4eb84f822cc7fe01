import { PermanentError } from '../errors';

/**
 * Pages in a row that bring no item not already seen before a listing is declared stuck. A remote that
 * keeps answering rel="next" (or total_count) with the same items would otherwise page forever; a
 * healthy listing brings at least one new item per page, so a small bound never cuts one short.
 */
export const MAX_PAGES_WITHOUT_PROGRESS = 3;

/** The permanent error a stuck listing ends with: retrying would loop again. */
export function noProgress(label: string, pages: number): PermanentError {
  return new PermanentError(`${label}: ${pages} pages in a row brought no new item although the remote announced more; stopping the listing`);
}

/** The identity of an item of a listing: its `id` when it has one, else its JSON. */
const itemKey = (item: unknown): string => {
  const id = typeof item === 'object' && item !== null ? (item as { id?: unknown }).id : undefined;
  return typeof id === 'number' || typeof id === 'string' ? `id:${id}` : JSON.stringify(item) ?? 'undefined';
};

/** Counts pages in a row that bring nothing new, and throws once there are too many. */
export function progressGuard(label: string) {
  const seen = new Set<string>();
  let stalled = 0;
  return {
    /** Records one page's items; `more`: the remote says another page follows. */
    page(items: readonly unknown[], more: boolean): void {
      let fresh = 0;
      for (const item of items) {
        const key = itemKey(item);
        if (!seen.has(key)) fresh++;
        seen.add(key);
      }
      stalled = fresh > 0 || !more ? 0 : stalled + 1;
      if (stalled >= MAX_PAGES_WITHOUT_PROGRESS) throw noProgress(label, stalled);
    },
  };
}
