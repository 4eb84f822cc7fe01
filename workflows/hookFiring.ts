import { ActivityFailure, TimeoutFailure, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { HookRunInput } from '../activities/hooks';
import { HOOK_MAX_ATTEMPTS, controlOptions, hookOptions } from './activity-options';

const { runHook } = proxyActivities<Activities>(hookOptions);
const { recordHookFailure } = proxyActivities<Activities>(controlOptions);

export type HookFiringInput = Omit<HookRunInput, 'plugin' | 'hook' | 'maxAttempts'> & { hooks: { plugin: string; hook: string }[] };

/**
 * One firing of a hook point: `hook/<firingId>`, started by the outbox relay. Each listening hook runs
 * as its own activity, in parallel, retried with backoff; a hook that still fails is recorded and the
 * workflow ends normally. Nothing waits for it: a hook never fails or holds up a sync.
 */
export async function hookFiring(input: HookFiringInput): Promise<{ succeeded: number; failed: number }> {
  const { hooks, ...firing } = input;
  const outcomes = await Promise.all(hooks.map(async ({ plugin, hook }) => {
    const run: HookRunInput = { ...firing, plugin, hook, maxAttempts: HOOK_MAX_ATTEMPTS };
    try {
      await runHook(run);
      return true;
    } catch (err) {
      // The activity records its own failures; a timeout or a lost worker is recorded here.
      const cause = err instanceof ActivityFailure ? err.cause : err;
      if (cause instanceof TimeoutFailure) await recordHookFailure({ ...run, error: 'the hook timed out (it ran past a minute)' });
      return false;
    }
  }));
  const succeeded = outcomes.filter(Boolean).length;
  return { succeeded, failed: outcomes.length - succeeded };
}
