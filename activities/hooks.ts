import { ApplicationFailure, Context } from '@temporalio/activity';
import { isPermanentError } from '../connectors/errors';
import { egressFor } from '../connectors/http/destination';
import { recordHookRun, type HookRunStatus } from '../db/hooks';
import { safeMessage, summarizeError } from '../lib/error-summary';
import { findHook } from '../plugins/registry';
import type { HookPayloads, HookPoint } from '../plugins/types';
import type { ActivityDeps } from './deps';

/** One hook's run on one firing, as the `hookFiring` workflow hands it to its activity. */
export interface HookRunInput {
  firingId: number;
  plugin: string;
  hook: string;
  point: HookPoint;
  payload: HookPayloads[HookPoint];
  firedAt: string;
  /** The attempts the workflow's retry policy allows: the last failed one records `failed`, not `retrying`. */
  maxAttempts: number;
}

const oneLine = (message: string) => safeMessage((message.split('\n')[0] ?? '').trim() || 'failed').slice(0, 2000);

export function createHookActivities(deps: ActivityDeps) {
  const egress = egressFor(deps.destinations);
  const record = (input: HookRunInput, status: HookRunStatus, attempts: number, error: string | null) =>
    recordHookRun(deps.db, {
      firingId: input.firingId, plugin: input.plugin, hook: input.hook, point: input.point, status, attempts, error, firedAt: new Date(input.firedAt),
    });

  return {
    /**
     * Runs one plugin hook on one firing. Success and each failed attempt are recorded (`GET
     * /hooks/runs`); the failure is rethrown so Temporal retries it with backoff (a PermanentError is not retried). A hook this worker
     * has not loaded fails for good: its plugin is missing from this worker's TRACKBRIDGE_PLUGINS.
     */
    async runHook(input: HookRunInput): Promise<void> {
      const { attempt } = Context.current().info;
      const hook = findHook(input.plugin, input.hook);
      if (!hook || hook.on !== input.point) {
        const message = `hook ${input.plugin}/${input.hook} on ${input.point} is not loaded on this worker (check TRACKBRIDGE_PLUGINS)`;
        await record(input, 'failed', attempt, message);
        throw ApplicationFailure.nonRetryable(message, 'HookNotLoaded');
      }
      const logger = deps.logger.child({ plugin: input.plugin, hook: input.hook, point: input.point, firingId: input.firingId });
      try {
        await hook.run({ logger, point: input.point, firingId: String(input.firingId), egress }, input.payload);
      } catch (err) {
        const message = oneLine(summarizeError(err).message);
        // A PermanentError says retrying cannot help (the SDK's way for a hook to give up at once).
        const final = attempt >= input.maxAttempts || isPermanentError(err);
        await record(input, final ? 'failed' : 'retrying', attempt, message);
        logger.warn({ attempt, error: message, final }, 'hook failed');
        throw ApplicationFailure.create({ message, type: 'HookError', nonRetryable: isPermanentError(err) });
      }
      await record(input, 'succeeded', attempt, null);
    },

    /** The workflow's record of a run that ended without the activity saying so (a timeout, a lost worker). */
    async recordHookFailure(input: HookRunInput & { error: string }): Promise<void> {
      await record(input, 'failed', input.maxAttempts, oneLine(input.error));
    },
  };
}
