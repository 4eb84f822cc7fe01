import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { Activities } from '../../activities';
import { installTemporalRuntime } from '../../runtime/temporal-runtime';
import { testLogger } from './harness';
import { track } from './resources';

/**
 * History events after which the server suggests continue-as-new (4096 by default). Low here so a
 * test reaches `continueAsNewSuggested` after a few writes instead of thousands.
 */
export const SUGGEST_CONTINUE_AS_NEW_AFTER = 40;

/**
 * A dev server of its own, for workflow tests with mocked activities. The time-skipping test server
 * is downloaded on first use and this machine is offline, so the dev server (the cached CLI) stands
 * in: timers run in real time, which the workflows keep short (≤ 2 s) by design.
 */
export async function startWorkflowEnv(): Promise<TestWorkflowEnvironment> {
  installTemporalRuntime(testLogger);
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: inject('temporalCli') },
      extraArgs: ['--log-level', 'error', '--dynamic-config-value', `limit.historyCount.suggestContinueAsNew=${SUGGEST_CONTINUE_AS_NEW_AFTER}`],
    },
  });
  const untrack = track('workflow test environment');
  const teardown = env.teardown.bind(env);
  return Object.assign(env, { teardown: async () => { await teardown(); untrack(); } });
}

/** Runs `fn` with a worker on a fresh task queue, over the once-per-run bundle and the given mocks. */
export async function withMockWorker<T>(env: TestWorkflowEnvironment, activities: Partial<Activities>, fn: (taskQueue: string) => Promise<T>): Promise<T> {
  const taskQueue = `wf-${randomBytes(5).toString('hex')}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    // WORKFLOW_TEST_BUNDLE runs a deliberately broken bundle, to check that these tests catch the break.
    workflowBundle: { codePath: process.env.WORKFLOW_TEST_BUNDLE ?? inject('workflowBundlePath') },
    activities,
  });
  return worker.runUntil(fn(taskQueue));
}
