import { ActivityFailure, CancellationScope, TimeoutFailure, isCancellation, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ActionJobInput, ActionJobOutcome } from '../activities/actions';
import { controlOptions, pluginActionOptions } from './activity-options';

const { runPluginAction } = proxyActivities<Activities>(pluginActionOptions);
const { finishJob } = proxyActivities<Activities>(controlOptions);

export type { ActionJobInput, ActionJobOutcome } from '../activities/actions';

/** What a failed attempt says, without the activity wrapper around it. */
function failureMessage(err: unknown): string {
  const cause = err instanceof ActivityFailure && err.cause ? err.cause : err;
  if (cause instanceof TimeoutFailure) return 'the action timed out (its worker stopped heartbeating, or it ran past its time limit)';
  return cause instanceof Error ? cause.message : String(cause);
}

/**
 * One plugin action's job: `action/<jobId>`. The activity records success and an observed
 * cancellation; a failure that outlasts the retries (or a timeout, or a cancellation before the
 * action started) is recorded here, so no job stays running or queued after its workflow ends.
 */
export async function runAction(input: ActionJobInput): Promise<ActionJobOutcome> {
  try {
    return await runPluginAction(input);
  } catch (err) {
    const cancelled = isCancellation(err);
    await CancellationScope.nonCancellable(() =>
      finishJob(cancelled ? { jobId: input.jobId, status: 'cancelled' } : { jobId: input.jobId, status: 'failed', error: failureMessage(err) }));
    throw err;
  }
}
