import { setHandler } from '@temporalio/workflow';
import { progressQuery } from './contract';
import { progressOf, runSyncLoop, type SyncInput, type SyncState, type SyncSummary } from './syncLoop';

/**
 * Initial (or full re-) sync of one binding: lists every remote item page by page and marks what it
 * saw, so deletions are found once the listing is complete. Id: `initial-sync/<binding>`.
 */
export async function initialSync(input: SyncInput): Promise<SyncSummary> {
  let state: SyncState | undefined = input.state;
  setHandler(progressQuery, () => progressOf(state, 'Initial sync'));
  return runSyncLoop('initial-sync', input, initialSync, (s) => (state = s));
}
