import type { Json, PullPage, RemoteErrorKind, RemoteItem } from '@trackbridge/sdk';

/** A check found the connector breaking its contract. The message says which promise, and what was seen. */
export class ConformanceFailure extends Error {
  constructor(check: string, message: string) {
    super(`${check}: ${message}`);
    this.name = 'ConformanceFailure';
  }
}

/** Throws a ConformanceFailure for `check` unless `condition` holds. */
export function expectThat(check: string, condition: boolean, message: string): asserts condition {
  if (!condition) throw new ConformanceFailure(check, message);
}

/**
 * The error kind, read from the `kind` field rather than by class: a plugin may bundle its own copy of
 * the SDK, and instanceof would then fail across copies.
 */
export function errorKind(error: unknown): RemoteErrorKind | undefined {
  const kind = typeof error === 'object' && error !== null ? (error as { kind?: unknown }).kind : undefined;
  return kind === 'transient' || kind === 'permanent' || kind === 'auth' || kind === 'conflict' ? kind : undefined;
}

export const describeError = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);

/** The rejection of `promise`, or undefined when it resolved. */
export async function rejection(promise: Promise<unknown>): Promise<{ error: unknown } | undefined> {
  return promise.then(() => undefined, (error: unknown) => ({ error }));
}

/** Every page of a pull, failing the check past `maxPages` (a listing that never ends). */
export async function allPages(check: string, pages: AsyncIterable<PullPage>, maxPages: number): Promise<PullPage[]> {
  const out: PullPage[] = [];
  for await (const page of pages) {
    out.push(page);
    expectThat(check, out.length <= maxPages, `the listing went past ${maxPages} pages without ending`);
  }
  return out;
}

/** The first page of a pull, then the pull is abandoned: one activity's worth. */
export async function firstPage(pages: AsyncIterable<PullPage>): Promise<PullPage | undefined> {
  const iterator = pages[Symbol.asyncIterator]();
  const first = await iterator.next();
  await iterator.return?.();
  return first.done ? undefined : first.value;
}

export const idsOf = (pages: readonly PullPage[]): string[] => pages.flatMap((p) => p.items.map((i: RemoteItem) => i.remoteId));

/** Ids listed more than once. */
export function duplicates(ids: readonly string[]): string[] {
  const seen = new Set<string>();
  return [...new Set(ids.filter((id) => seen.has(id) || !seen.add(id)))];
}

/** Cursors travel through Temporal payloads and the database: only their JSON survives. */
export const throughJson = (cursor: Json | null): Json | null => (cursor === null ? null : (JSON.parse(JSON.stringify(cursor)) as Json));

export const sample = (ids: readonly string[], n = 5): string => `${ids.slice(0, n).join(', ')}${ids.length > n ? `, … (${ids.length})` : ''}`;
