import type { Json, PullPage, RemoteItem } from '../connectors/types';
import { commitPage, flushCommittedPages, holdPageCounts, loadCheckpoint } from '../db/runs';
import { takeWriteSeq } from '../db/links';
import { sameJson } from '../rules';
import type { Db } from '../db/client';
import type { PullPorts } from './ports';
import { addCounts, applyRemotePage, zeroCounts, type ApplyOptions, type PageCounts, type PageResult } from './pull';
import { fetchPlan, pullRelated, type FetchPlan } from './pull-related';

export interface PullPagesInput {
  runId: string;
  cursor: Json | null;
  /** A full listing marks what it saw, so deletions can be found once it completes. */
  full: boolean;
  listedAt: string;
  /** Pages taken before handing back to the workflow; default 1,000 (the time budget ends it first). */
  maxPages?: number;
  /** Time after which no further page is started; default 10 s. */
  budgetMs?: number;
}

export interface PullPagesResult {
  /** Set when the binding is no longer active: the workflow stops. */
  stopped?: string;
  /** Where the next call resumes; null once the listing is complete. */
  next: Json | null;
  watermark: Json | null;
  pages: number;
  items: number;
  total?: number;
  notModified: boolean;
  counts: PageCounts;
  comments: number;
}

/**
 * Where a call got to, stored in its run after each page (and that page's comments), so a retried
 * attempt resumes after the last page it finished (R1). `from` is the cursor the call was given:
 * a checkpoint of an earlier call is not this one's.
 */
interface Progress {
  from: Json | null;
  cursor: Json | null; pages: number; items: number; total?: number; counts: PageCounts; comments: number;
  /** Set once the last page is applied: a retry then only reports. */
  finished?: { watermark: Json | null; notModified: boolean };
}

/** Pages applied at once (each on its own connection); they commit in page order. */
const PAGES_IN_FLIGHT = 3;
/** Rounds of reading stale items again (a push writing the same item each time) before leaving them to a later pull. */
const STALE_REREADS = 3;

/** The progress after one more page. */
function advance(progress: Progress, page: PullPage, counts: PageCounts, comments: number): Progress {
  return {
    ...progress,
    cursor: page.next,
    pages: progress.pages + 1,
    items: progress.items + page.items.length,
    ...(page.total !== undefined ? { total: page.total } : {}),
    counts: addCounts(progress.counts, counts),
    comments: progress.comments + comments,
    ...(page.next === null ? { finished: { watermark: page.watermark, notModified: page.notModified ?? false } } : {}),
  };
}

/** One call's pages: what every page of it shares, and where the call got to. */
interface PageRun {
  ports: PullPorts;
  input: PullPagesInput;
  plan: FetchPlan;
  applyOpts: Omit<ApplyOptions, 'fetchedAtSeq'>;
  progress: Progress;
}

/**
 * Pages from `input.cursor`, or from the run's checkpoint when an earlier attempt of the same call got
 * further: fetch, apply, fetch what hangs off the items that moved. Only counts go back.
 */
export async function pullPages(ports: PullPorts, input: PullPagesInput): Promise<PullPagesResult> {
  const saved = await loadCheckpoint<Progress>(ports.db, input.runId);
  const plan = fetchPlan(ports);
  const run: PageRun = {
    ports,
    input,
    plan,
    // Pages commit without waiting for the disk, and the call makes them durable before it returns
    // (flushCommittedPages): a crash before that loses pages whole with their checkpoints, and the retry
    // resumes from the checkpoint the database kept. A page's commit spent 1.6-2.6 ms in the WAL flush.
    applyOpts: { full: input.full, listedAt: new Date(input.listedAt), rules: ports.rules, settled: plan.settled, explainRunId: input.runId, asyncCommit: true, markerForm: ports.markerForm },
    progress: saved && sameJson(saved.from, input.cursor)
      ? saved
      : { from: input.cursor, cursor: input.cursor, pages: 0, items: 0, counts: zeroCounts(), comments: 0 },
  };
  const result = (end: { next: Json | null; watermark: Json | null; notModified: boolean }): PullPagesResult => {
    const { pages, items, total, counts, comments } = run.progress;
    return { ...end, pages, items, ...(total !== undefined ? { total } : {}), counts, comments };
  };
  if (run.progress.finished) return result({ next: null, ...run.progress.finished });
  if (ports.binding.state !== 'active') return { ...result({ next: null, watermark: null, notModified: false }), stopped: `binding is ${ports.binding.state}` };
  return result(await pageLoop(run));
}

/**
 * Up to three pages are in flight: while one page's transaction runs, the next is fetched and applied
 * on another connection, and its transaction commits only after the page before it committed (its
 * checkpoint waits for that one's), so checkpoints still move strictly in page order.
 */
async function pageLoop(run: PageRun): Promise<{ next: Json | null; watermark: Json | null; notModified: boolean }> {
  const { ports: { db, binding, client }, input } = run;
  const started = Date.now();
  const maxPages = input.maxPages ?? 1000;
  const budgetMs = input.budgetMs ?? 10_000;
  const pages = client.pull(binding.scope, run.progress.cursor)[Symbol.asyncIterator]();
  // Each fetch is stamped with the links' write sequence first (see ApplyOptions.fetchedAtSeq).
  const fetchNext = async () => {
    const seq = await takeWriteSeq(db);
    return { seq, result: await run.ports.call(() => pages.next()) };
  };
  let fetching = fetchNext();
  // The pages in flight, oldest first; each commits after the one before it.
  const inFlight: Promise<void>[] = [];
  const last = () => inFlight[inFlight.length - 1] ?? Promise.resolve();
  try {
    for (let taken = 0; ; taken++) {
      const { seq: fetchedAtSeq, result: { value: page, done } } = await fetching;
      if (done) {
        await last();
        await flushCommittedPages(db, input.runId);
        return { next: null, watermark: null, notModified: false };
      }
      const more = page.next !== null && taken + 1 < maxPages && Date.now() - started < budgetMs;
      // The next page is on its way while this one is applied.
      if (more) {
        fetching = fetchNext();
        fetching.catch(() => undefined); // awaited on the next turn; not an unhandled rejection if this page fails first
      }
      const current = processPage(run, page, fetchedAtSeq, last());
      current.catch(() => undefined); // awaited below or by the page after it
      inFlight.push(current);
      if (!more) {
        await current;
        await flushCommittedPages(db, input.runId);
        return { next: page.next, watermark: page.watermark, notModified: page.notModified ?? false };
      }
      if (inFlight.length >= PAGES_IN_FLIGHT) await inFlight.shift();
    }
  } finally {
    await Promise.allSettled(inFlight);
    await pages.return?.();
  }
}

/** Applies a page and commits it after `before` (the page ahead of it) has committed. */
async function processPage(run: PageRun, page: PullPage, fetchedAtSeq: number, before: Promise<void>): Promise<void> {
  const { ports, input: { runId }, plan } = run;
  const { db, binding } = ports;
  const finish = (counts: PageCounts, comments: number) => {
    run.progress = advance(run.progress, page, counts, comments);
    return { items: page.items.length, comments, total: page.total, counts };
  };
  // A page with nothing left to fetch is committed (counts and checkpoint) in its own transaction.
  const commit = async (tx: Db, r: PageResult) => {
    await before;
    const done = finish(r.counts, 0);
    await commitPage(tx, runId, done, run.progress);
  };
  // Only a page whose items need nothing more (no comments, no files) goes ahead of the page before it:
  // one that hands items to a later phase commits them before its checkpoint, and should the page before
  // it then fail, the retry would find them applied and count them unchanged.
  if (!page.items.every(plan.settled)) await before;
  const first = await applyRemotePage(db, binding, page.items, { ...run.applyOpts, fetchedAtSeq, commit });
  if (first.checkpointed) return;
  await before;
  const applied = await rereadStale(ports, first, run.applyOpts);
  const counts = applied.touched.length ? { ...applied.counts, ...(await holdPageCounts(db, runId, run.progress.cursor, applied.counts)) } : applied.counts;
  const comments = await pullRelated(ports, applied.touched, plan);
  for (const e of applied.errors) ports.logger.warn({ bindingId: binding.id, remoteId: e.remoteId, error: e.error }, 'remote item failed to apply');
  const done = finish(counts, comments);
  // The run's counts and progress move with the checkpoint, page by page (what GET /runs shows).
  await commitPage(db, runId, done, run.progress);
}

/**
 * Items a page left alone because a push wrote them after its fetch was stamped (PageResult.stale) are
 * read again, each read stamped anew, and applied. The next pull is no safety net: when the push wrote
 * before the fetch, the page already showed the item as the push left it, so the listing's watermark
 * (and its ETag) covers it and no later pull lists it again; what the push left to the next pull (a
 * value the remote filled in on create, snapshot.filled) or an edit made after its write would be lost.
 */
async function rereadStale(ports: PullPorts, applied: PageResult, opts: Omit<ApplyOptions, 'fetchedAtSeq'>): Promise<PageResult> {
  const { db, binding, client } = ports;
  const result: PageResult = { ...applied, counts: { ...applied.counts }, touched: [...applied.touched], errors: [...applied.errors] };
  for (let round = 0; result.stale.length && round < STALE_REREADS; round++) {
    const fetchedAtSeq = await takeWriteSeq(db);
    const items: RemoteItem[] = [];
    for (const remoteId of result.stale) {
      const item = await ports.call(() => client.getItem(binding.scope, remoteId));
      if (item) items.push(item);
    }
    const again = await applyRemotePage(db, binding, items, { ...opts, fetchedAtSeq });
    // They were counted unchanged on the page; the read that applies them counts them now.
    result.counts = addCounts({ ...result.counts, unchanged: result.counts.unchanged - items.length }, again.counts);
    result.touched.push(...again.touched);
    result.errors.push(...again.errors);
    result.stale = again.stale;
  }
  return result;
}

