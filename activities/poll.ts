import type { ActivityDeps } from './deps';
import { createSyncActivities } from './sync';
import type { SyncState } from '../workflows/sync-state';

export interface QuickPullInput {
  bindingId: string;
  /** The run row's keys: the pull's id and the timer's run, the same on every attempt, so a retry resumes the row. */
  workflowId: string;
  temporalRunId: string;
  /** Time after which no further page is started; the rest goes on in a `pullBinding` child. Default 5 s. */
  budgetMs?: number;
}

export type QuickPullResult =
  | {
    done: true; skipped?: string; notModified?: boolean; items?: number;
    /** Nothing new that a webhook had not brought already, and webhooks reached the binding lately: pulls may space out. */
    webhooksCover?: boolean;
  }
  | { done: false; state: SyncState };

const BUDGET_MS = 5_000;
/** Webhooks count as reaching a binding for a day after one was last read. */
const WEBHOOK_FRESH_MS = 24 * 3600_000;

/**
 * A scheduled pull, run by the binding's pull timer as a local activity: open the run, pull from the
 * watermark (one conditional request when nothing changed), sweep for deletions when due, close the run.
 * The same steps as `pullBinding`'s activities, in one billable action. A pull that outgrows the budget
 * hands its state back, and a `pullBinding` child goes on from its checkpoint.
 */
export function createPollActivities(deps: ActivityDeps) {
  const sync = createSyncActivities(deps);
  return {
    async pullQuickly(input: QuickPullInput): Promise<QuickPullResult> {
      const { bindingId } = input;
      const begun = await sync.beginSyncRun({ kind: 'pull', bindingId, workflowId: input.workflowId, temporalRunId: input.temporalRunId });
      if (begun.skip || begun.runId === null) return { done: true, skipped: begun.skip ?? 'skipped' };
      const runId = begun.runId;
      const listedAt = new Date().toISOString();
      try {
        const page = await sync.syncPages({ bindingId, runId, cursor: begun.storedCursor, full: false, listedAt, budgetMs: input.budgetMs ?? BUDGET_MS });
        if (page.stopped) {
          await sync.failSyncRun({ runId, error: page.stopped, status: 'skipped' });
          return { done: true, skipped: page.stopped };
        }
        if (page.next !== null) {
          return {
            done: false,
            state: { runId, cursor: page.next, listedAt, pages: page.pages, items: page.items, total: page.total ?? null, counts: page.counts, comments: page.comments },
          };
        }
        await sync.reconcileDeletions({ bindingId, listedAt, full: false });
        const closed = await sync.completeSyncRun({ bindingId, runId, watermark: page.watermark, itemsSeen: page.items });
        const counts = closed.counts ?? page.counts;
        // When a webhook last read an item, as the run's start read it with the binding (no second query).
        const webhookAt = begun.webhookReadAt ? Date.parse(begun.webhookReadAt) : null;
        const webhooksCover = counts.created + counts.updated === 0 && webhookAt !== null && Date.now() - webhookAt < WEBHOOK_FRESH_MS;
        return { done: true, notModified: page.notModified, items: closed.items ?? page.items, webhooksCover };
      } catch (err) {
        // The run row says why; a retried attempt finds the same row and resumes it.
        await sync.failSyncRun({ runId, error: (err as Error).message }).catch(() => undefined);
        throw err;
      }
    },
  };
}
