import { ActivityFailure, allHandlersFinished, condition, log, proxyActivities, setHandler } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { pullItemOptions } from './activity-options';
import { itemChangedSignal } from './contract';

export { itemChangedSignal } from './contract';

const { pullRemoteItem } = proxyActivities<Activities>(pullItemOptions);

export interface PullItemInput { bindingId: string; remoteId: string }

export interface PullItemSummary { fetches: number; signals: number; failed?: string }

/**
 * One remote item fetched because a webhook (or a poke) said it changed: `pull-item/<binding>/<remoteId>`,
 * signalled with start, so deliveries for the same item while it runs coalesce. The item is read
 * fresh each time, so the payload that caused it, duplicated or late, decides nothing; a signal that
 * arrives during a fetch costs one more fetch, not one per delivery. A failure is logged and the workflow
 * ends normally: the binding's scheduled pull reads the item anyway.
 */
export async function pullItem(input: PullItemInput): Promise<PullItemSummary> {
  let pending = 0;
  let signals = 0;
  setHandler(itemChangedSignal, () => {
    pending++;
    signals++;
  });
  let fetches = 0;
  // The start's own signal is delivered when the handler is set, before this loop looks.
  while (pending > 0) {
    pending = 0;
    fetches++;
    try {
      await pullRemoteItem(input);
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      log.warn('pullItem gave up; the scheduled pull will read the item', { bindingId: input.bindingId, remoteId: input.remoteId, error: err.cause?.message ?? err.message });
      await condition(allHandlersFinished);
      return { fetches, signals, failed: err.cause?.message ?? err.message };
    }
  }
  await condition(allHandlersFinished);
  return { fetches, signals };
}
