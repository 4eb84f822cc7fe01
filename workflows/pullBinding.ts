import { defineQuery, setHandler } from '@temporalio/workflow';
import { progressOf, runSyncLoop, type SyncInput, type SyncProgress, type SyncState, type SyncSummary } from './syncLoop';

export const pullProgressQuery = defineQuery<SyncProgress>('progress');

/**
 * Incremental pull of one binding from its stored watermark, started by the binding's Temporal
 * Schedule (overlap SKIP) or a manual trigger through the same schedule. Id: `pull/<binding>-<time>`.
 */
export async function pullBinding(input: SyncInput): Promise<SyncSummary> {
  let state: SyncState | undefined = input.state;
  setHandler(pullProgressQuery, () => progressOf(state, 'Pull'));
  return runSyncLoop('pull', input, pullBinding, (s) => (state = s));
}
