import { createRoute, z } from '@hono/zod-openapi';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { ApiDeps } from './deps';
import { ErrorBody, notFound, rootCause } from './errors';
import { getRunByWorkflow, runProgress } from '../db/runs';
import { progressQuery } from '../workflows/contract';
import { bounded } from './remote-calls';
import { newRouter, security } from './router';
import { json } from './schemas';

const Run = z
  .object({
    workflowId: z.string(),
    runId: z.string(),
    type: z.string(),
    status: z.enum(['running', 'completed', 'failed', 'cancelled', 'terminated', 'timed_out', 'continued_as_new', 'unknown']),
    startedAt: z.string(),
    closedAt: z.string().nullable(),
    result: z.unknown().optional(),
    error: z.string().optional(),
    progress: z.unknown().optional(),
    counts: z.record(z.string(), z.number()).optional().openapi({ description: 'created, updated, unchanged, failed (sync runs)' }),
    temporalUiPath: z.string().openapi({ description: 'Path of this run in the Temporal UI' }),
  })
  .openapi('Run');

export type RunView = z.infer<typeof Run>;

const get = createRoute({
  method: 'get',
  path: '/{workflowId}',
  summary: 'Status, progress and result of a workflow run (URL-encode the slashes of the id)',
  security,
  request: { params: z.object({ workflowId: z.string().min(1).openapi({ param: { name: 'workflowId', in: 'path' }, example: 'initial-sync/6f0…' }) }) },
  responses: { 200: json(Run, 'Run'), 404: json(ErrorBody, 'No such workflow') },
});

const statuses: Record<string, z.infer<typeof Run>['status']> = {
  RUNNING: 'running', COMPLETED: 'completed', FAILED: 'failed', CANCELLED: 'cancelled',
  TERMINATED: 'terminated', TIMED_OUT: 'timed_out', CONTINUED_AS_NEW: 'continued_as_new',
};


export function runRoutes(deps: ApiDeps) {
  return newRouter().openapi(get, async (c) => {
    const { workflowId } = c.req.valid('param');
    const handle = deps.temporal.workflow.getHandle(workflowId);
    let description;
    try {
      description = await bounded(deps, () => handle.describe());
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw notFound(`run ${workflowId}`);
      throw err;
    }
    const status = statuses[description.status.name] ?? 'unknown';
    const run: z.infer<typeof Run> = {
      workflowId,
      runId: description.runId,
      type: description.type,
      status,
      startedAt: description.startTime.toISOString(),
      closedAt: description.closeTime?.toISOString() ?? null,
      temporalUiPath: `/namespaces/${deps.temporal.options.namespace}/workflows/${encodeURIComponent(workflowId)}/${description.runId}/history`,
    };
    if (status === 'completed') run.result = await handle.result();
    if (status === 'failed' || status === 'timed_out' || status === 'terminated') {
      run.error = await handle.result().then(() => undefined, (err: unknown) => rootCause(err));
    }
    const row = await getRunByWorkflow(deps.db, workflowId);
    if (row) run.counts = { ...row.counts };
    // A sync run's row moves page by page, counts and progress together (one source of truth); other
    // long workflows answer a `progress` query, and short ones simply don't define it.
    if (status === 'running') run.progress = row?.status === 'running' ? runProgress(row) : await handle.query(progressQuery).catch(() => undefined);
    return c.json(run, 200);
  });
}
