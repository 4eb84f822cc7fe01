import type { Json } from '../connectors/types';
import { beginRun, finishRun, runningRun, type RunKind } from '../db/runs';
import { getBinding, recordListing } from '../db/bindings';
import { pullPages, type PullPagesInput, type PullPagesResult } from '../sync/pull-pages';
import { reconcile, type ReconcileInput, type ReconcileResult } from '../sync/deletions';
import type { ActivityDeps } from './deps';
import { withHeartbeat } from './heartbeat';
import { openBinding, pullPorts } from './bindings';

export interface SyncPagesInput extends PullPagesInput { bindingId: string }
export type SyncPagesResult = PullPagesResult;

/**
 * A pull's activities: thin adapters around the pull engine (sync/pull-pages.ts, sync/deletions.ts),
 * each heartbeating while it runs. The engine checkpoints each page in the run's row, so a retried
 * attempt resumes after the last page the one before it finished (R1).
 */
export function createSyncActivities(deps: ActivityDeps) {
  return {
    /**
     * Opens the run row. A pull is skipped while its binding is inactive or an initial sync runs, and a
     * skipped run gets no row: it did nothing, and the binding's last run is the last one that did.
     */
    async beginSyncRun(input: { kind: RunKind; bindingId: string; workflowId: string; temporalRunId: string }): Promise<{ runId: string | null; storedCursor: Json | null; skip?: string; webhookReadAt?: string }> {
      const binding = await getBinding(deps.db, input.bindingId);
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
     * current one is applied. Each applied page is checkpointed: a retry after a crash resumes after
     * it, so a page is never lost and seldom applied twice (applying twice is harmless).
     */
    async syncPages(input: SyncPagesInput): Promise<SyncPagesResult> {
      return withHeartbeat(async () => pullPages(pullPorts(deps, await openBinding(deps, input.bindingId)), input));
    },

    /** After a complete listing: remote deletions soft-delete their stories (sync/deletions.ts). */
    async reconcileDeletions(input: ReconcileInput & { bindingId: string }): Promise<ReconcileResult> {
      return withHeartbeat(async () => reconcile(pullPorts(deps, await openBinding(deps, input.bindingId)), input));
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
