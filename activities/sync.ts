import { and, eq, isNotNull } from 'drizzle-orm';
import type { Json } from '../connectors/types';
import { applyRemoteComments } from '../db/comments';
import { beginRun, finishRun, runningRun, type RunKind } from '../db/runs';
import { bindings, externalLinks } from '../db/schema';
import { applyRemotePage, markCommentsSynced, softDeleteFromRemote, unlistedLinks, type PageCounts, type TouchedItem } from '../db/sync';
import { effectiveRules, pullsComments, pullsFiles, type EffectiveRules } from '../rules';
import { applyRemoteAttachment, linkedRemoteAttachmentIds } from '../db/attachments';
import { recordWarnings } from '../db/rules';
import type { ActivityDeps } from './deps';
import { withHeartbeat } from './heartbeat';
import { openBinding, remoteCall, type BoundClient } from './bindings';

export interface SyncPageInput {
  bindingId: string;
  runId: string;
  cursor: Json | null;
  /** A full listing marks what it saw, so deletions can be found once it completes. */
  full: boolean;
  listedAt: string;
}

export interface SyncPageResult {
  /** Set when the binding is no longer active: the workflow stops. */
  stopped?: string;
  next: Json | null;
  watermark: Json | null;
  items: number;
  total?: number;
  notModified: boolean;
  counts: PageCounts;
  comments: number;
}

const COMMENT_CONCURRENCY = 4;

export function createSyncActivities(deps: ActivityDeps) {
  return {
    /** Opens the run row; a pull is skipped while its binding is inactive or an initial sync runs. */
    async beginSyncRun(input: { kind: RunKind; bindingId: string; workflowId: string; temporalRunId: string }): Promise<{ runId: string; storedCursor: Json | null; skip?: string }> {
      const run = await beginRun(deps.db, input);
      const [binding] = await deps.db.select().from(bindings).where(eq(bindings.id, input.bindingId));
      const storedCursor = (binding?.pullCursor ?? null) as Json | null;
      if (!binding || binding.state !== 'active') return { runId: run.id, storedCursor, skip: `binding is ${binding?.state ?? 'gone'}` };
      if (input.kind === 'pull' && (await runningRun(deps.db, input.bindingId, 'initial-sync'))) {
        return { runId: run.id, storedCursor, skip: 'an initial sync is running' };
      }
      return { runId: run.id, storedCursor };
    },

    async syncPage(input: SyncPageInput): Promise<SyncPageResult> {
      return withHeartbeat(() => syncOnePage(deps, input));
    },

    /**
     * After a complete full listing: linked items it did not return are checked one by one and
     * soft-deleted only when the remote confirms they are gone. A listing that misses most items
     * is more likely broken than a mass deletion, so then nothing is deleted.
     */
    async reconcileDeletions(input: { bindingId: string; listedAt: string }): Promise<{ checked: number; deleted: number; skipped?: string }> {
      return withHeartbeat(() => reconcile(deps, input));
    },

    /** Stores the watermark of a complete listing and closes the run. */
    async completeSyncRun(input: { bindingId: string; runId: string; watermark: Json | null; itemsSeen: number }) {
      await deps.db
        .update(bindings)
        .set({ pullCursor: input.watermark, lastPullAt: new Date(), lastSyncedCount: input.itemsSeen, updatedAt: new Date() })
        .where(eq(bindings.id, input.bindingId));
      await finishRun(deps.db, input.runId, 'completed');
    },

    async failSyncRun(input: { runId: string; error: string; status?: 'failed' | 'skipped' }) {
      await finishRun(deps.db, input.runId, input.status ?? 'failed', input.error);
    },
  };
}

/** One page: fetch it, apply it, fetch comments of the items that moved. Only counts go back to the workflow. */
async function syncOnePage(deps: ActivityDeps, input: SyncPageInput): Promise<SyncPageResult> {
  const bound = await openBinding(deps, input.bindingId);
  const empty = { next: null, watermark: null, items: 0, notModified: false, counts: { created: 0, updated: 0, unchanged: 0, failed: 0, inboxed: 0 }, comments: 0 };
  if (bound.binding.state !== 'active') return { ...empty, stopped: `binding is ${bound.binding.state}` };
  const page = await remoteCall(deps, input.bindingId, async () => {
    const pages = bound.client.pull(bound.binding.scope, input.cursor)[Symbol.asyncIterator]();
    try {
      const { value, done } = await pages.next();
      return done ? null : value;
    } finally {
      await pages.return?.();
    }
  });
  if (!page) return empty;
  const rules = effectiveRules(bound.binding.rules, bound.connector);
  const result = await applyRemotePage(deps.db, bound.binding, page.items, { full: input.full, listedAt: new Date(input.listedAt), rules, runId: input.runId });
  const comments = await syncRelated(deps, bound, result.touched, rules);
  for (const e of result.errors) deps.logger.warn({ bindingId: input.bindingId, remoteId: e.remoteId, error: e.error }, 'remote item failed to apply');
  return {
    next: page.next,
    watermark: page.watermark,
    items: page.items.length,
    ...(page.total !== undefined ? { total: page.total } : {}),
    notModified: page.notModified ?? false,
    counts: result.counts,
    comments,
  };
}

async function reconcile(deps: ActivityDeps, input: { bindingId: string; listedAt: string }): Promise<{ checked: number; deleted: number; skipped?: string }> {
  const bound = await openBinding(deps, input.bindingId);
  const candidates = await unlistedLinks(deps.db, input.bindingId, new Date(input.listedAt));
  if (!candidates.length) return { checked: 0, deleted: 0 };
  const linked = await deps.db.$count(externalLinks, and(eq(externalLinks.bindingId, input.bindingId), isNotNull(externalLinks.remoteId)));
  if (candidates.length > 10 && candidates.length > linked / 2) {
    const skipped = `${candidates.length} of ${linked} linked items missing from the listing; not deleting without confirmation`;
    deps.logger.warn({ bindingId: input.bindingId }, skipped);
    return { checked: 0, deleted: 0, skipped };
  }
  let deleted = 0;
  for (const c of candidates) {
    const item = await remoteCall(deps, input.bindingId, () => bound.client.getItem(bound.binding.scope, c.remoteId!));
    if (item === null) {
      await softDeleteFromRemote(deps.db, bound.binding, c.storyId);
      deleted++;
    }
  }
  return { checked: candidates.length, deleted };
}

/**
 * What hangs off the items that moved: their comments (when the message rule pulls them) and their
 * files (when the files rule does). Returns how many hub comments and files were written.
 */
async function syncRelated(deps: ActivityDeps, bound: BoundClient, touched: TouchedItem[], rules: EffectiveRules): Promise<number> {
  const { binding, client } = bound;
  const comments = pullsComments(rules);
  const files = pullsFiles(rules) && !!client.listAttachments && !!client.downloadAttachment;
  // The listing tells how many comments an item has; zero means no comment request at all.
  const wantsComments = (t: TouchedItem) => comments && t.commentCount !== 0;
  const queue = touched.filter((t) => wantsComments(t) || files);
  // Items with nothing to fetch are done at once; the others once what was fetched is applied.
  for (const t of touched) if (!wantsComments(t) && !files) await markCommentsSynced(deps.db, binding.id, t.remoteId, t.updatedAt);
  let written = 0;
  const worker = async () => {
    for (let t = queue.shift(); t; t = queue.shift()) {
      if (wantsComments(t)) {
        const remote = await remoteCall(deps, binding.id, () => client.listComments(binding.scope, t.remoteId, t.since ?? undefined));
        written += await applyRemoteComments(deps.db, binding, t.storyId, remote, { edits: rules.messages.edits });
      }
      if (files) written += await pullAttachments(deps, bound, rules, t);
      await markCommentsSynced(deps.db, binding.id, t.remoteId, t.updatedAt);
    }
  };
  await Promise.all(Array.from({ length: COMMENT_CONCURRENCY }, worker));
  return written;
}

/** Remote files the hub has not got are downloaded into it; files over the rule's limit are reported, not fetched. */
async function pullAttachments(deps: ActivityDeps, bound: BoundClient, rules: EffectiveRules, t: TouchedItem): Promise<number> {
  const { binding, client } = bound;
  const maxBytes = rules.files!.maxBytes;
  const listed = (await remoteCall(deps, binding.id, () => client.listAttachments!(binding.scope, t.remoteId))).filter((a) => a.downloadable);
  const known = await linkedRemoteAttachmentIds(deps.db, binding.id, listed.map((a) => a.remoteId));
  let written = 0;
  for (const attachment of listed.filter((a) => !known.has(a.remoteId))) {
    if (attachment.size > maxBytes) {
      await recordWarnings(deps.db, binding.id, [`file ${attachment.name} (${attachment.size} bytes) on ${t.remoteId} is over the files rule's limit of ${maxBytes} bytes`]);
      continue;
    }
    const data = await remoteCall(deps, binding.id, () => client.downloadAttachment!(binding.scope, attachment));
    if (await applyRemoteAttachment(deps.db, binding, t.storyId, attachment, data)) written++;
  }
  return written;
}
