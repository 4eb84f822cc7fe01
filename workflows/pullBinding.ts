import { setHandler } from '@temporalio/workflow';
import { progressQuery } from './contract';
import { progressOf, runSyncLoop, type SyncInput, type SyncState, type SyncSummary } from './syncLoop';

/**
 * Incremental pull of one binding from its stored watermark, started by the binding's Temporal
 * Schedule (overlap SKIP) or a manual trigger through the same schedule. Id: `pull/<binding>-<time>`.
 */
export async function pullBinding(input: SyncInput): Promise<SyncSummary> {
  let state: SyncState | undefined = input.state;
  setHandler(progressQuery, () => progressOf(state, 'Pull'));
  return runSyncLoop('pull', input, pullBinding, (s) => (state = s));
}
