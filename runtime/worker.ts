import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker, type NativeConnection } from '@temporalio/worker';
import type { Logger } from 'pino';
import { createActivities, type ActivityDeps } from '../activities';

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

/**
 * `scripts/build.ts` writes the workflow bundle beside the compiled code (dist/), where this module's
 * chunk lands too; in a checkout there is none next to runtime/, and the worker bundles at start.
 */
export const prebuiltWorkflowBundle = fileURLToPath(new URL('./workflow-bundle.js', import.meta.url));

/** TEMPORAL_WORKFLOW_BUNDLE when set, else the build's bundle if there is one; undefined means bundle from source. */
export function findWorkflowBundle(configured?: string): string | undefined {
  if (configured) return configured;
  return existsSync(prebuiltWorkflowBundle) ? prebuiltWorkflowBundle : undefined;
}

export interface WorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  logger: Logger;
  /** A pre-built bundle (a build's, or the tests' one per run); otherwise workflows are bundled at start. */
  workflowBundle?: { codePath: string };
}

export async function createWorker(opts: WorkerOptions): Promise<Worker> {
  if (opts.workflowBundle) opts.logger.info({ workflowBundle: opts.workflowBundle.codePath }, 'workflows from a prebuilt bundle');
  else opts.logger.info({ workflowsPath }, 'bundling the workflows from source (a build prebuilds them)');
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    activities: createActivities(opts.deps),
    ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath }),
    // Shutdown waits this long for running activities; a killed worker is covered by Temporal retries anyway.
    shutdownGraceTime: '10 seconds',
  });
}
