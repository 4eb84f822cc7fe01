import type { z } from '@hono/zod-openapi';
import { ApiError } from './errors';

/** A list route's paging cursor: the last row's sort key, opaque to clients. */
export const encodeCursor = (key: readonly unknown[]): string => Buffer.from(JSON.stringify(key)).toString('base64url');

/** Reads a cursor back with the tuple schema of its sort key; anything else is a 400 naming `query.cursor`. */
export function decodeCursor<T extends z.ZodType>(cursor: string, key: T): z.infer<T> {
  const invalid = () => new ApiError(400, 'invalid_request', 'Invalid cursor', [{ path: 'query.cursor', message: 'not a cursor from a previous page' }]);
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  const parsed = key.safeParse(raw);
  if (!parsed.success) throw invalid();
  return parsed.data;
}

/**
 * One page of a list read with `limit + 1` rows: the first `limit` as views, and a cursor after the
 * last of them when the extra row shows there is more.
 */
export function pageOf<R, V>(rows: R[], limit: number, view: (row: R) => V, key: (row: R) => readonly unknown[]): { items: V[]; nextCursor: string | null } {
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return { items: page.map(view), nextCursor: rows.length > limit && last !== undefined ? encodeCursor(key(last)) : null };
}
