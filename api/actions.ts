import { randomUUID } from 'node:crypto';
import { createRoute, z } from '@hono/zod-openapi';
import { insertJob, transitionJob } from '../db/jobs';
import { loadedPlugins } from '../plugins/registry';
import type { ActionDefinition } from '../plugins/types';
import { runAction } from '../workflows';
import { actionWorkflowId } from '../workflows/contract';
import type { ApiDeps } from './deps';
import { ErrorBody, logFields, notFound } from './errors';
import { bounded } from './remote-calls';
import { newRouter, security } from './router';
import { json } from './schemas';

export const StartedJob = z
  .object({
    jobId: z.uuid(),
    statusUrl: z.string().openapi({ example: '/jobs/0b7c…' }),
    workflowId: z.string().openapi({ example: 'action/0b7c…', description: 'The Temporal workflow running the job' }),
  })
  .openapi('StartedJob');
export type StartedJobView = z.infer<typeof StartedJob>;

/** `/plugins/{plugin}/actions/{action}`, as `GET /plugins` lists it. */
export const actionPath = (plugin: string, action: string) => `/${encodeURIComponent(plugin)}/actions/${action}`;

const actionRoute = (plugin: string, action: ActionDefinition) =>
  createRoute({
    method: 'post',
    path: actionPath(plugin, action.name),
    summary: action.description || `Run ${plugin}/${action.name}`,
    description: `Starts a job running the action \`${action.name}\` of the plugin \`${plugin}\`; poll \`statusUrl\` for its status, progress and entries.`,
    tags: ['actions'],
    security,
    request: { body: { content: { 'application/json': { schema: action.params } }, required: true } },
    responses: {
      202: json(StartedJob, 'The job is queued'),
      400: json(ErrorBody, 'A missing or invalid param, named in `fields`'),
      503: json(ErrorBody, 'Temporal is unavailable (see Retry-After); no job was started'),
    },
  });

/**
 * One operation per action of the loaded plugins, so each appears in /openapi.json with its params
 * as the request body (validated there: a missing or bad param answers 400 naming it).
 */
export function actionRoutes(deps: ApiDeps) {
  const router = newRouter();

  /**
   * The row first, then the workflow, under the same id. A refused start marks the row failed (so
   * nothing stays queued forever) and answers 503; should the start have gone through after all,
   * its activity finds the job ended and does not run it (db/jobs.ts jobTransitions).
   */
  const startJob = async (plugin: string, action: string, params: Record<string, unknown>, createdBy: string | undefined) => {
    const jobId = randomUUID();
    await insertJob(deps.db, { id: jobId, plugin, action, params, createdBy: createdBy ?? null });
    const workflowId = actionWorkflowId(jobId);
    try {
      await bounded(deps, () => deps.temporal.workflow.start(runAction, {
        workflowId,
        taskQueue: deps.taskQueue,
        args: [{ jobId, plugin, action, params }],
      }));
    } catch (err) {
      await transitionJob(deps.db, jobId, 'failed', { error: 'the job could not be started (the workflow service was unavailable)' }).catch((e: unknown) => {
        deps.logger.error({ ...logFields(e), jobId }, 'could not mark a job that never started as failed');
      });
      throw err;
    }
    return { jobId, statusUrl: `/jobs/${jobId}`, workflowId };
  };

  for (const { definition } of deps.plugins ?? loadedPlugins()) {
    for (const action of definition.actions ?? []) {
      router.openapi(actionRoute(definition.name, action), async (c) => {
        // Validated against action.params by the route (router.ts defaultHook); an object by the contract.
        const params = c.req.valid('json') as Record<string, unknown>;
        return c.json(await startJob(definition.name, action.name, params, c.get('tokenId')), 202);
      });
    }
  }
  // Registered after the declared ones: any other action path is a 404 that says what was missing.
  router.post('/:plugin/actions/:action', (c) => {
    throw notFound(`action ${c.req.param('action')} of plugin ${c.req.param('plugin')}`);
  });
  return router;
}
