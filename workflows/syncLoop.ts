import {
  ActivityFailure, ApplicationFailure, allHandlersFinished, condition, continueAsNew, patched, proxyActivities, workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { Failure, syncPageOptions } from './activity-options';
import type { SyncInput, SyncProgress, SyncState, SyncSummary } from './sync-state';

export type { SyncInput, SyncProgress, SyncState, SyncSummary } from './sync-state';

// Auth and permanent errors are non-retryable by type; the rest retry while the remote is down (see the preset).
const acts = proxyActivities<Activities>(syncPageOptions);

/** Pages per run before continuing as new, so history stays small even when the server suggests nothing. */
export const PAGES_PER_RUN = 200;
/** Pulls call reconcileDeletions (an id sweep when due) since this change. */
const DELETION_SWEEP_PATCH = 'deletion-sweep-after-pull';

export function progressOf(state: SyncState | undefined, phase: string): SyncProgress {
  const done = state?.items ?? 0;
  const total = state?.total ?? null;
  const percent = total ? Math.min(100, Math.round((done / total) * 100)) : null;
  return {
    status: `${phase}: ${done}${total ? ` of ${total}` : ''} items${percent !== null ? ` (${percent}%)` : ''}`,
    itemsDone: done,
    total,
    percent,
    pages: state?.pages ?? 0,
    counts: state?.counts ?? { created: 0, updated: 0, unchanged: 0, failed: 0, inboxed: 0 },
  };
}

/**
 * Pulls page after page from `state.cursor`, a batch of pages per activity (which checkpoints each
 * page in its heartbeat); the cursor in workflow state is the checkpoint between activities.
 * Continues as new when history grows, carrying the state.
 */
export async function runSyncLoop(
  kind: 'initial-sync' | 'pull',
  input: SyncInput,
  workflow: (input: SyncInput) => Promise<SyncSummary>,
  setState: (s: SyncState) => void,
): Promise<SyncSummary> {
  const { bindingId } = input;
  let state = input.state;
  if (!state) {
    const info = workflowInfo();
    const begun = await acts.beginSyncRun({ kind, bindingId, workflowId: info.workflowId, temporalRunId: info.firstExecutionRunId });
    const counts = { created: 0, updated: 0, unchanged: 0, failed: 0, inboxed: 0 };
    if (begun.skip || begun.runId === null) {
      // Workflows begun before skipped runs lost their row still close the row they opened.
      if (begun.runId !== null) await acts.failSyncRun({ runId: begun.runId, error: begun.skip ?? 'skipped', status: 'skipped' });
      return { status: 'skipped', reason: begun.skip ?? 'skipped', items: 0, counts };
    }
    state = {
      runId: begun.runId, cursor: kind === 'pull' ? begun.storedCursor : null, listedAt: new Date().toISOString(),
      pages: 0, items: 0, total: null, counts, comments: 0,
    };
  }
  setState(state);
  const full = kind === 'initial-sync';
  let pagesThisRun = 0;
  try {
    for (;;) {
      const page = await acts.syncPages({ bindingId, runId: state.runId, cursor: state.cursor, full, listedAt: state.listedAt });
      if (page.stopped) {
        await acts.failSyncRun({ runId: state.runId, error: page.stopped, status: 'skipped' });
        return { status: 'skipped', reason: page.stopped, items: state.items, counts: state.counts };
      }
      state.pages += page.pages;
      pagesThisRun += page.pages;
      state.items += page.items;
      state.comments += page.comments;
      if (page.total !== undefined) state.total = page.total;
      for (const k of Object.keys(state.counts) as (keyof SyncState['counts'])[]) state.counts[k] += page.counts[k];
      if (page.next === null) {
        // Pulls sweep for deletions too (connectors that list ids alone); histories from before that do not.
        const reconciled = full || patched(DELETION_SWEEP_PATCH) ? await acts.reconcileDeletions({ bindingId, listedAt: state.listedAt, full }) : undefined;
        const closed = await acts.completeSyncRun({ bindingId, runId: state.runId, watermark: page.watermark, itemsSeen: state.items });
        // The run row is the one tally (each page commits its counts and items with its checkpoint); the
        // activities' sums can count a page twice when an attempt died after applying it and before reporting it.
        const counts = closed?.counts ? { ...state.counts, ...closed.counts } : state.counts;
        return { status: 'completed', items: closed?.items ?? state.items, counts, ...(reconciled && (full || reconciled.swept !== undefined) ? { deleted: reconciled.deleted } : {}) };
      }
      state.cursor = page.next;
      if (workflowInfo().continueAsNewSuggested || pagesThisRun >= PAGES_PER_RUN) {
        await condition(allHandlersFinished);
        return await continueAsNew<typeof workflow>({ bindingId, state });
      }
    }
  } catch (err) {
    if (err instanceof ActivityFailure) {
      const cause = err.cause instanceof ApplicationFailure ? err.cause : undefined;
      const reason = cause?.type === Failure.auth ? `Paused: bad credentials (${cause.message})` : (cause?.message ?? err.message);
      await acts.failSyncRun({ runId: state.runId, error: reason });
      throw ApplicationFailure.nonRetryable(reason, cause?.type ?? 'SyncFailed');
    }
    throw err;
  }
}
