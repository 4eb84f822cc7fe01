import { z } from 'zod';
import type { HttpClient, HttpRequest, HttpResponse } from './client';
import { progressGuard } from './progress';

/** Parses an RFC 8288 Link header into { rel: url }, e.g. { next: "https://…&page=2" }. */
export function parseLinkHeader(header: string | null): Record<string, string> {
  const links: Record<string, string> = {};
  if (!header) return links;
  for (const part of header.split(/,(?=\s*<)/)) {
    const match = /^\s*<([^>]*)>(.*)$/.exec(part);
    if (!match) continue;
    const [, url, params] = match;
    const rel = /;\s*rel\s*=\s*"?([^";]+)"?/i.exec(params ?? '')?.[1];
    if (url !== undefined && rel) for (const name of rel.trim().split(/\s+/)) links[name] = url;
  }
  return links;
}

export interface LinkPage<T> {
  data: T;
  /** The next page's URL, null on the last page. */
  nextUrl: string | null;
  response: HttpResponse<T>;
}

/** The items of a page: the page itself, or its `items` (GitHub's search answers). */
const pageItems = (data: unknown): unknown[] => {
  if (Array.isArray(data)) return data;
  const items = typeof data === 'object' && data !== null ? (data as { items?: unknown }).items : undefined;
  return Array.isArray(items) ? items : [];
};

/** Follows rel="next" from the first request until the last page, or until pages stop bringing new items. */
export async function* followLinks<T>(http: HttpClient, first: HttpRequest, shape?: z.ZodType<T>): AsyncGenerator<LinkPage<T>> {
  const progress = progressGuard(`${first.path}: following rel="next"`);
  let req: HttpRequest | null = first;
  while (req) {
    const response: HttpResponse<T> = await http.send<T>({ ...req, ifNoneMatch: null }, shape);
    if (response.notModified) return;
    const nextUrl: string | null = parseLinkHeader(response.headers.get('link')).next ?? null;
    progress.page(pageItems(response.data), nextUrl !== null);
    yield { data: response.data, nextUrl, response };
    req = nextUrl ? { path: nextUrl, ...(first.budget ? { budget: first.budget } : {}) } : null;
  }
}

export interface OffsetPage<T> {
  items: T[];
  offset: number;
  /** total_count as the remote reported it on this page. */
  total: number | undefined;
  /** Offset of the next page, null on the last one. */
  nextOffset: number | null;
}

export interface OffsetOptions<T> {
  /** Property of the answer holding the items, e.g. "issues", "projects". */
  itemsKey: string;
  /** What the connector reads of each item, checked on every page (see readShape). */
  itemShape?: z.ZodType<T>;
  limit?: number;
  startOffset?: number;
}

/** Offset/limit paging (Redmine): stops at total_count, or at a short or empty page when there is none. */
export async function* paginateOffset<T>(http: HttpClient, req: HttpRequest, options: OffsetOptions<T>): AsyncGenerator<OffsetPage<T>> {
  const limit = options.limit ?? 100;
  const progress = progressGuard(`${req.path}: paging by offset`);
  const pageShape = options.itemShape
    ? z.looseObject({ [options.itemsKey]: z.array(options.itemShape), total_count: z.number().int().nonnegative().optional() })
    : undefined;
  let offset = options.startOffset ?? 0;
  for (;;) {
    const body = await http.json<Record<string, unknown>>({ ...req, query: { ...req.query, offset, limit } }, pageShape);
    const items = (Array.isArray(body?.[options.itemsKey]) ? body[options.itemsKey] : []) as T[];
    const total = typeof body?.total_count === 'number' ? body.total_count : undefined;
    const end = offset + items.length;
    const more = items.length > 0 && (total === undefined ? items.length >= limit : end < total);
    progress.page(items, more);
    yield { items, offset, total, nextOffset: more ? end : null };
    if (!more) return;
    offset = end;
  }
}
