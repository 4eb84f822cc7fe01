import { eq } from 'drizzle-orm';
import { capability } from '../connectors/define';
import type { Json, PullPage, RemoteItem } from '../connectors/types';
import { beginRun, commitPage, finishRun, flushCommittedPages, holdPageCounts, loadCheckpoint, runningRun, type RunKind } from '../db/runs';
import { bindings } from '../db/schema';
import { takeWriteSeq } from '../db/links';
import { markCommentsSynced } from '../db/pulled';
import { applyRemotePage, type ApplyOptions, type PageCounts, type PageResult, type TouchedItem } from '../sync/pull';
import { applyRemoteComments } from '../sync/pull-comments';
import { applyRemoteAttachment } from '../sync/pull-files';
import { pullsComments, pullsFiles, sameJson, type EffectiveRules } from '../rules';
import { linkedRemoteAttachmentIds } from '../db/attachments';
import { recordListing, recordWarnings } from '../db/bindings';
import type { ActivityDeps } from './deps';
import { withHeartbeat } from './heartbeat';
import { reconcile, type ReconcileInput, type ReconcileResult } from './deletions';
import { openBinding, remoteCall, type BoundClient } from './bindings';

export interface SyncPagesInput {
  bindingId: string;
  runId: string;
  cursor: Json | null;
  /** A full listing marks what it saw, so deletions can be found once it completes. */
  full: boolean;
  listedAt: string;
  /** Pages one activity takes before handing back to the workflow; default 1,000 (the time budget ends it first). */
  maxPages?: number;
  /** Time after which no further page is started; default 10 s. */
  budgetMs?: number;
}

export interface SyncPagesResult {
  /** Set when the binding is no longer active: the workflow stops. */
  stopped?: string;
  /** Where the next activity resumes; null once the listing is complete. */
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
 * Where an activity got to, stored in its run after each page (and that page's comments), so a retried
 * attempt resumes after the last page it finished (R1). `from` is the cursor the activity was given:
 * a checkpoint of an earlier activity is not this one's.
 */
interface Progress {
  from: Json | null;
  cursor: Json | null; pages: number; items: number; total?: number; counts: PageCounts; comments: number;
  /** Set once the last page is applied: a retry then only reports. */
  finished?: { watermark: Json | null; notModified: boolean };
}

const COMMENT_CONCURRENCY = 4;
/** Pages applied at once by one activity (each on its own connection); they commit in page order. */
const PAGES_IN_FLIGHT = 3;

export function createSyncActivities(deps: ActivityDeps) {
  return {
    /**
     * Opens the run row. A pull is skipped while its binding is inactive or an initial sync runs, and a
     * skipped run gets no row: it did nothing, and the binding's last run is the last one that did.
     */
    async beginSyncRun(input: { kind: RunKind; bindingId: string; workflowId: string; temporalRunId: string }): Promise<{ runId: string | null; storedCursor: Json | null; skip?: string; webhookReadAt?: string }> {
      const [binding] = await deps.db.select().from(bindings).where(eq(bindings.id, input.bindingId));
      const storedCursor = (binding?.pullCursor ?? null) as Json | null;
      if (!binding || binding.state !== 'active') return { runId: null, storedCursor, skip: `binding is ${binding?.state ?? 'gone'}` };
      if (input.kind === 'pull' && (await runningRun(deps.db, input.bindingId, 'initial-sync'))) {
        return { runId: null, storedCursor, skip: 'an initial sync is running' };
      }
      const run = await beginRun(deps.db, input);
      return { runId: run.id, storedCursor, ...(binding.lastWebhookAt ? { webhookReadAt: binding.lastWebhookAt.toISOString() } : {}) };
    },

    /**
     * Several pages in one activity (up to `maxPages`, or `budgetMs`), the next page fetched while the
     * current one is applied. Each applied page is heartbeated as the checkpoint: a retry after a crash
     * resumes after it, so a page is never lost and seldom applied twice (applying twice is harmless).
     */
    async syncPages(input: SyncPagesInput): Promise<SyncPagesResult> {
      return withHeartbeat(async () => {
        const saved = await loadCheckpoint<Progress>(deps.db, input.runId);
        const progress: Progress = saved && sameJson(saved.from, input.cursor)
          ? saved
          : { from: input.cursor, cursor: input.cursor, pages: 0, items: 0, counts: zeroCounts(), comments: 0 };
        return syncManyPages(deps, input, progress);
      });
    },

    /** After a complete listing: remote deletions soft-delete their stories (see reconcile). */
    async reconcileDeletions(input: ReconcileInput): Promise<ReconcileResult> {
      return withHeartbeat(() => reconcile(deps, input));
    },

    /**
     * Stores the watermark of a complete listing and closes the run. Returns the run's counts and items
     * as its pages committed them: exact even when a retried attempt applied a page twice.
     */
    async completeSyncRun(input: { bindingId: string; runId: string; watermark: Json | null; itemsSeen: number }) {
      const closed = await finishRun(deps.db, input.runId, 'completed');
      await recordListing(deps.db, input.bindingId, { cursor: input.watermark, items: closed?.items ?? input.itemsSeen });
      return { counts: closed?.counts, items: closed?.items };
    },

    async failSyncRun(input: { runId: string; error: string; status?: 'failed' | 'skipped' }) {
      await finishRun(deps.db, input.runId, input.status ?? 'failed', input.error);
    },
  };
}

const zeroCounts = (): PageCounts => ({ created: 0, updated: 0, unchanged: 0, failed: 0, inboxed: 0 });

/** The progress after one more page. */
function advance(progress: Progress, page: PullPage, counts: PageCounts, comments: number): Progress {
  return {
    ...progress,
    cursor: page.next,
    pages: progress.pages + 1,
    items: progress.items + page.items.length,
    ...(page.total !== undefined ? { total: page.total } : {}),
    counts: Object.fromEntries(Object.entries(progress.counts).map(([k, v]) => [k, v + counts[k as keyof PageCounts]])) as unknown as PageCounts,
    comments: progress.comments + comments,
    ...(page.next === null ? { finished: { watermark: page.watermark, notModified: page.notModified ?? false } } : {}),
  };
}

/** What a pull fetches for an item besides the listing, decided once per activity. */
export interface FetchPlan {
  /** Its comments, when the message rule pulls them and the listing does not say there are none. */
  comments(item: { commentCount?: number | undefined }): boolean;
  /** Its files, when the files rule pulls them and the remote can list and download them. */
  files: boolean;
  /** Nothing at all: the item is done when its page commits. */
  settled(item: RemoteItem): boolean;
}

export function fetchPlan(bound: BoundClient, rules: EffectiveRules): FetchPlan {
  const files = pullsFiles(rules) && bound.client.attachments !== undefined;
  const comments = (item: { commentCount?: number | undefined }) => pullsComments(rules) && item.commentCount !== 0;
  return { comments, files, settled: (item) => !files && !comments(item) };
}

/** Rounds of reading stale items again (a push writing the same item each time) before leaving them to a later pull. */
const STALE_REREADS = 3;

/**
 * Items a page left alone because a push wrote them after its fetch was stamped (PageResult.stale) are
 * read again, each read stamped anew, and applied. The next pull is no safety net: when the push wrote
 * before the fetch, the page already showed the item as the push left it, so the listing's watermark
 * (and its ETag) covers it and no later pull lists it again; what the push left to the next pull (a
 * value the remote filled in on create, snapshot.filled) or an edit made after its write would be lost.
 */
async function rereadStale(deps: ActivityDeps, bound: BoundClient, applied: PageResult, opts: Omit<ApplyOptions, 'fetchedAtSeq'>): Promise<PageResult> {
  const result: PageResult = { ...applied, counts: { ...applied.counts }, touched: [...applied.touched], errors: [...applied.errors] };
  for (let round = 0; result.stale.length && round < STALE_REREADS; round++) {
    const fetchedAtSeq = await takeWriteSeq(deps.db);
    const items: RemoteItem[] = [];
    for (const remoteId of result.stale) {
      const item = await remoteCall(deps, bound.binding.id, () => bound.client.getItem(bound.binding.scope, remoteId));
      if (item) items.push(item);
    }
    const again = await applyRemotePage(deps.db, bound.binding, items, { ...opts, fetchedAtSeq });
    // They were counted unchanged on the page; the read that applies them counts them now.
    result.counts.unchanged -= items.length;
    for (const k of Object.keys(result.counts) as (keyof PageCounts)[]) result.counts[k] += again.counts[k];
    result.touched.push(...again.touched);
    result.errors.push(...again.errors);
    result.stale = again.stale;
  }
  return result;
}

/**
 * Pages from `progress.cursor`: fetch, apply, fetch what hangs off the items that moved. Only counts go
 * back to the workflow. Up to three pages are in flight: while one page's transaction runs, the next is fetched
 * and applied on another connection, and its transaction commits only after the page before it
 * committed (its checkpoint waits for that one's), so checkpoints still move strictly in page order.
 */
async function syncManyPages(deps: ActivityDeps, input: SyncPagesInput, from: Progress): Promise<SyncPagesResult> {
  let progress = from;
  const started = Date.now();
  const maxPages = input.maxPages ?? 1000;
  const budgetMs = input.budgetMs ?? 10_000;
  const bound = await openBinding(deps, input.bindingId);
  const result = (next: Json | null, watermark: Json | null, notModified = false): SyncPagesResult =>
    ({ next, watermark, pages: progress.pages, items: progress.items, ...(progress.total !== undefined ? { total: progress.total } : {}), notModified, counts: progress.counts, comments: progress.comments });
  if (progress.finished) return result(null, progress.finished.watermark, progress.finished.notModified);
  if (bound.binding.state !== 'active') return { ...result(null, null), stopped: `binding is ${bound.binding.state}` };
  const { rules } = bound;
  const plan = fetchPlan(bound, rules);
  // Pages commit without waiting for the disk, and the activity makes them durable before it returns
  // (flushCommittedPages): a crash before that loses pages whole with their checkpoints, and the retry
  // resumes from the checkpoint the database kept. A page's commit spent 1.6-2.6 ms in the WAL flush.
  const applyOpts = { full: input.full, listedAt: new Date(input.listedAt), rules, settled: plan.settled, explainRunId: input.runId, asyncCommit: true };
  const pages = bound.client.pull(bound.binding.scope, progress.cursor)[Symbol.asyncIterator]();
  // Each fetch is stamped with the links' write sequence first (see ApplyOptions.fetchedAtSeq).
  const fetchNext = async () => {
    const seq = await takeWriteSeq(deps.db);
    return { seq, result: await remoteCall(deps, input.bindingId, () => pages.next()) };
  };

  /** Applies a page and commits it after `before` (the page ahead of it) has committed. */
  const processPage = async (page: PullPage, fetchedAtSeq: number, before: Promise<void>): Promise<void> => {
    const finish = (counts: PageCounts, comments: number) => {
      progress = advance(progress, page, counts, comments);
      return { items: page.items.length, comments, total: page.total, counts };
    };
    // A page with nothing left to fetch is committed (counts and checkpoint) in its own transaction.
    const commit = async (tx: typeof deps.db, r: PageResult) => {
      await before;
      const done = finish(r.counts, 0);
      await commitPage(tx, input.runId, done, progress as unknown as Record<string, unknown>);
    };
    // Only a page whose items need nothing more (no comments, no files) goes ahead of the page before it:
    // one that hands items to a later phase commits them before its checkpoint, and should the page before
    // it then fail, the retry would find them applied and count them unchanged.
    if (!page.items.every(plan.settled)) await before;
    const first = await applyRemotePage(deps.db, bound.binding, page.items, { ...applyOpts, fetchedAtSeq, commit });
    if (first.checkpointed) return;
    await before;
    const applied = await rereadStale(deps, bound, first, applyOpts);
    const counts = applied.touched.length ? { ...applied.counts, ...(await holdPageCounts(deps.db, input.runId, progress.cursor, applied.counts)) } : applied.counts;
    const comments = await syncRelated(deps, bound, applied.touched, rules, plan);
    for (const e of applied.errors) deps.logger.warn({ bindingId: input.bindingId, remoteId: e.remoteId, error: e.error }, 'remote item failed to apply');
    const done = finish(counts, comments);
    // The run's counts and progress move with the checkpoint, page by page (what GET /runs shows).
    await commitPage(deps.db, input.runId, done, progress as unknown as Record<string, unknown>);
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
        await flushCommittedPages(deps.db, input.runId);
        return result(null, null);
      }
      const more = page.next !== null && taken + 1 < maxPages && Date.now() - started < budgetMs;
      // The next page is on its way while this one is applied.
      if (more) {
        fetching = fetchNext();
        fetching.catch(() => undefined); // awaited on the next turn; not an unhandled rejection if this page fails first
      }
      const current = processPage(page, fetchedAtSeq, last());
      current.catch(() => undefined); // awaited below or by the page after it
      inFlight.push(current);
      if (!more) {
        await current;
        await flushCommittedPages(deps.db, input.runId);
        return result(page.next, page.watermark, page.notModified ?? false);
      }
      if (inFlight.length >= PAGES_IN_FLIGHT) await inFlight.shift();
    }
  } finally {
    await Promise.allSettled(inFlight);
    await pages.return?.();
  }
}

/**
 * What hangs off the items that moved (none of them settled: see FetchPlan): their comments and
 * their files. Each item's comment mark is set once what was fetched for it is applied. Returns how
 * many hub comments and files were written.
 */
export async function syncRelated(deps: ActivityDeps, bound: BoundClient, touched: TouchedItem[], rules: EffectiveRules, plan: FetchPlan): Promise<number> {
  const { binding, client } = bound;
  const queue = [...touched];
  let written = 0;
  const worker = async () => {
    for (let t = queue.shift(); t; t = queue.shift()) {
      if (plan.comments(t)) {
        const remote = await remoteCall(deps, binding.id, () => client.listComments(binding.scope, t.remoteId, t.since ?? undefined));
        written += await applyRemoteComments(deps.db, binding, t.storyId, remote, { edits: rules.messages.edits });
      }
      if (plan.files) written += await pullAttachments(deps, bound, rules, t);
      await markCommentsSynced(deps.db, binding.id, t.remoteId, t.updatedAt);
    }
  };
  await Promise.all(Array.from({ length: COMMENT_CONCURRENCY }, worker));
  return written;
}

/** Remote files the hub has not got are downloaded into it; files over the rule's limit are reported, not fetched. */
async function pullAttachments(deps: ActivityDeps, bound: BoundClient, rules: EffectiveRules, t: TouchedItem): Promise<number> {
  const { binding } = bound;
  const store = capability(bound.client, 'attachments', bound.connector);
  const maxBytes = rules.files!.maxBytes;
  const listed = (await remoteCall(deps, binding.id, () => store.listAttachments(binding.scope, t.remoteId))).filter((a) => a.downloadable);
  const known = await linkedRemoteAttachmentIds(deps.db, binding.id, listed.map((a) => a.remoteId));
  let written = 0;
  for (const attachment of listed.filter((a) => !known.has(a.remoteId))) {
    if (attachment.size > maxBytes) {
      await recordWarnings(deps.db, binding.id, [`file ${attachment.name} (${attachment.size} bytes) on ${t.remoteId} is over the files rule's limit of ${maxBytes} bytes`]);
      continue;
    }
    const data = await remoteCall(deps, binding.id, () => store.downloadAttachment(binding.scope, attachment));
    if (await applyRemoteAttachment(deps.db, binding, t.storyId, attachment, data)) written++;
  }
  return written;
}
