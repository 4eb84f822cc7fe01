import { createRoute, z } from '@hono/zod-openapi';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { initialSync } from '../workflows';
import { initialSyncWorkflowId } from '../workflows/contract';
import { BindingTransitionError, getBindingWithConnector, insertBinding, lastRun, listBindings, transitionBinding, type Binding } from '../db/bindings';
import { getConnection } from '../db/connections';
import { getProject } from '../db/projects';
import { runningRun } from '../db/runs';
import { countLinks } from '../db/stories';
import { createPullSchedule, deletePullSchedule, nextPullTime, pausePullSchedule, triggerPull } from '../temporal/schedules';
import { bindingSearchAttributes } from '../workflows/contract';
import type { ApiDeps } from './deps';
import { ApiError, ErrorBody, conflict, notFound } from './errors';
import { newRouter, security } from './router';
import { IdParam, StartedRun, json } from './schemas';
import { bounded, listRemoteScopes } from './remote-calls';
import { resumeBinding } from './binding-resume';

const CreateBinding = z
  .strictObject({
    projectId: z.uuid(),
    connectionId: z.uuid(),
    scope: z.string().min(1).max(300).openapi({ example: 'octo-org/website', description: 'A scope id from GET /connections/{id}/scopes' }),
    pullIntervalSeconds: z.number().int().min(10).max(86_400).default(300),
    importPolicy: z.enum(['auto', 'review']).default('auto').openapi({ description: '`review` puts new remote items in the inbox' }),
    deletePolicy: z.enum(['close', 'delete']).default('close'),
  })
  .openapi('CreateBinding');

const BindingView = z
  .object({
    id: z.uuid(), projectId: z.uuid(), connectionId: z.uuid(), connector: z.string(), scope: z.string(),
    state: z.enum(['active', 'paused', 'deleted']), pausedReason: z.string().nullable(), pullIntervalSeconds: z.number().int(),
    importPolicy: z.string(), deletePolicy: z.string(), backlogged: z.boolean(), createdAt: z.string(),
  })
  .openapi('Binding');

const BindingStatus = BindingView.extend({
  status: z.string().openapi({ example: 'Synced 412 issues at 2026-11-22T09:00:00Z' }),
  linkedItems: z.number().int(),
  lastPullAt: z.string().nullable(),
  nextPullAt: z.string().nullable(),
  warnings: z.array(z.string()),
  /** While the remote asked us to wait (a rate limit): until when, and why. */
  waiting: z.object({ until: z.string(), reason: z.string() }).nullable().openapi({ example: { until: '2026-11-22T14:05:00.000Z', reason: "waiting for GitHub's rate limit until 14:05 UTC" } }),
  lastRun: z.object({ workflowId: z.string(), kind: z.string(), status: z.string(), counts: z.record(z.string(), z.number()), error: z.string().nullable(), startedAt: z.string(), finishedAt: z.string().nullable() }).nullable(),
}).openapi('BindingStatus');

export type BindingView = z.infer<typeof BindingView>;
export type BindingStatusView = z.infer<typeof BindingStatus>;

const view = (b: Binding, connector: string) => ({
  id: b.id, projectId: b.projectId, connectionId: b.connectionId, connector, scope: b.scope, state: b.state as 'active' | 'paused' | 'deleted',
  pausedReason: b.pausedReason, pullIntervalSeconds: b.pullIntervalSeconds, importPolicy: b.importPolicy, deletePolicy: b.deletePolicy,
  backlogged: b.backlogged, createdAt: b.createdAt.toISOString(),
});

function statusText(b: Binding, linked: number, run: Awaited<ReturnType<typeof lastRun>>): string {
  if (b.state === 'paused') return `Paused: ${b.pausedReason ?? 'by an operator'}`;
  if (b.state === 'deleted') return 'Deleted';
  if (run?.status === 'running') return run.kind === 'initial-sync' ? 'Initial sync running' : 'Pulling';
  if (run?.status === 'failed') return `Last ${run.kind} failed: ${run.error ?? 'unknown error'}`;
  if (b.lastPullAt) return `Synced ${linked} issues at ${b.lastPullAt.toISOString()}`;
  return 'Not synced yet';
}

const errors = { 400: json(ErrorBody, 'Invalid input'), 404: json(ErrorBody, 'Not found'), 409: json(ErrorBody, 'Conflicting state') };

/** A route on one binding answering 200 with `schema`. */
const onBinding = <S extends z.ZodType>(method: 'get' | 'post' | 'delete', path: string, summary: string, schema: S) =>
  createRoute({ method, path, summary, security, request: { params: IdParam }, responses: { 200: json(schema, summary), ...errors } });

/** A route on one binding that starts work and answers 202. */
const startOnBinding = <S extends z.ZodType>(path: string, summary: string, schema: S) =>
  createRoute({ method: 'post', path, summary, security, request: { params: IdParam }, responses: { 202: json(schema, summary), ...errors } });

export function bindingRoutes(deps: ApiDeps) {
  const load = async (id: string) => {
    const row = await getBindingWithConnector(deps.db, id);
    if (!row || row.binding.state === 'deleted') throw notFound('binding');
    return row;
  };
  const transition = async (id: string, to: 'active' | 'paused' | 'deleted', reason?: string) => {
    try {
      return await transitionBinding(deps.db, id, to, reason ?? null);
    } catch (err) {
      if (err instanceof BindingTransitionError) throw conflict(err.message);
      throw err;
    }
  };

  /** A scope the remote does not list would only produce dead letters later: refuse it now, naming `scope`. */
  const checkScope = async (connection: { id: string; connector: string }, scope: string) => {
    const groups = await listRemoteScopes(deps, connection, '20 seconds');
    if (!groups.some((g) => g.scopes.some((s) => s.id === scope))) {
      throw new ApiError(422, 'unknown_scope', `The remote has no scope "${scope}" this connection can reach`, [{ path: 'scope', message: 'not listed by GET /connections/{id}/scopes' }]);
    }
  };

  return newRouter()
    .openapi(createRoute({
      method: 'post', path: '/', summary: 'Bind a project to a remote scope (checked on the remote); creates its pull schedule', security,
      request: { body: { content: { 'application/json': { schema: CreateBinding } }, required: true } },
      responses: {
        201: json(BindingView, 'Created'), ...errors, 422: json(ErrorBody, 'The remote has no such scope'),
        502: json(ErrorBody, 'The remote refused or failed while the scope was checked'), 503: json(ErrorBody, 'Temporal is unavailable (see Retry-After)'),
      },
    }), async (c) => {
      const body = c.req.valid('json');
      if (!(await getProject(deps.db, body.projectId))) throw new ApiError(400, 'invalid_request', 'Unknown project', [{ path: 'projectId', message: 'no such project' }]);
      const connection = await getConnection(deps.db, body.connectionId);
      if (!connection) throw new ApiError(400, 'invalid_request', 'Unknown connection', [{ path: 'connectionId', message: 'no such connection' }]);
      // Deleted bindings do not count: the same scope may be bound again (the unique index covers live ones only).
      const existing = (await listBindings(deps.db, body.projectId)).find((b) => b.connectionId === body.connectionId && b.scope === body.scope);
      if (existing) throw conflict(`project is already bound to ${body.scope} through this connection (binding ${existing.id})`);
      await checkScope(connection, body.scope);
      // A concurrent request for the same scope loses at the unique index: a 409 naming `scope` (api/errors.ts).
      const binding = await insertBinding(deps.db, body);
      try {
        await bounded(deps, () => createPullSchedule(deps.temporal, deps.taskQueue, { id: binding.id, projectId: binding.projectId, connector: connection.connector, pullIntervalSeconds: binding.pullIntervalSeconds, paused: false }));
      } catch (err) {
        await transitionBinding(deps.db, binding.id, 'deleted');
        throw err;
      }
      return c.json(view(binding, connection.connector), 201);
    })
    .openapi(
      createRoute({ method: 'get', path: '/', summary: 'List bindings', security, request: { query: z.object({ projectId: z.uuid().optional() }) }, responses: { 200: json(z.object({ items: z.array(BindingView) }), 'Bindings') } }),
      async (c) => {
        const { projectId } = c.req.valid('query');
        const rows = await listBindings(deps.db, projectId);
        const items = rows.map((b) => view(b, b.connector));
        return c.json({ items }, 200);
      },
    )
    .openapi(onBinding('get', '/{id}', 'Binding status: a short text, last run, next scheduled pull', BindingStatus), async (c) => {
      const { binding, connector } = await load(c.req.valid('param').id);
      const [linked, run, next] = await Promise.all([countLinks(deps.db, binding.id), lastRun(deps.db, binding.id), bounded(deps, () => nextPullTime(deps.temporal, binding.id))]);
      return c.json({
        ...view(binding, connector),
        status: statusText(binding, linked, run),
        linkedItems: linked,
        lastPullAt: binding.lastPullAt?.toISOString() ?? null,
        nextPullAt: next?.toISOString() ?? null,
        warnings: binding.warnings,
        waiting: binding.waitingUntil && binding.waitingUntil > new Date() ? { until: binding.waitingUntil.toISOString(), reason: binding.waitingReason ?? 'waiting for the remote' } : null,
        lastRun: run ? { workflowId: run.workflowId, kind: run.kind, status: run.status, counts: { ...run.counts }, error: run.error, startedAt: run.startedAt.toISOString(), finishedAt: run.finishedAt?.toISOString() ?? null } : null,
      }, 200);
    })
    // The schedule changes first, the row after: with Temporal down the request answers 503 and
    // changes nothing, and a repeated request (each step is idempotent) completes a half-done one.
    .openapi(onBinding('post', '/{id}/pause', 'Pause syncing and the pull schedule', BindingView), async (c) => {
      const { binding, connector } = await load(c.req.valid('param').id);
      await bounded(deps, () => pausePullSchedule(deps.temporal, binding.id, 'paused by an operator'));
      const b = await transition(binding.id, 'paused', 'by an operator');
      return c.json(view(b, connector), 200);
    })
    .openapi(onBinding('post', '/{id}/resume', 'Resume syncing and the pull schedule', BindingView), async (c) => {
      const { binding, connector } = await load(c.req.valid('param').id);
      try {
        return c.json(view(await resumeBinding(deps, binding.id), connector), 200);
      } catch (err) {
        if (err instanceof BindingTransitionError) throw conflict(err.message);
        throw err;
      }
    })
    .openapi(onBinding('delete', '/{id}', 'Delete the binding and its schedule (hub stories stay)', BindingView), async (c) => {
      const { binding, connector } = await load(c.req.valid('param').id);
      await bounded(deps, () => deletePullSchedule(deps.temporal, binding.id));
      const b = await transition(binding.id, 'deleted');
      return c.json(view(b, connector), 200);
    })
    .openapi(startOnBinding('/{id}/initial-sync', 'Start the initial (or a full re-) sync', StartedRun), async (c) => {
      const { binding, connector } = await load(c.req.valid('param').id);
      if (binding.state !== 'active') throw conflict(`binding is ${binding.state}`);
      const workflowId = initialSyncWorkflowId(binding.id);
      try {
        const handle = await bounded(deps, () => deps.temporal.workflow.start(initialSync, {
          workflowId,
          taskQueue: deps.taskQueue,
          args: [{ bindingId: binding.id }],
          typedSearchAttributes: bindingSearchAttributes({ ...binding, connector }),
        }));
        return c.json({ workflowId, runId: handle.firstExecutionRunId, statusUrl: `/runs/${encodeURIComponent(workflowId)}` }, 202);
      } catch (err) {
        if (err instanceof WorkflowExecutionAlreadyStartedError) throw conflict('an initial sync is already running for this binding');
        throw err;
      }
    })
    .openapi(startOnBinding('/{id}/pull', 'Pull now (never alongside a scheduled pull)', z.object({
      workflowId: z.string().nullable().openapi({ description: 'The started pull; null when it was queued behind a running one' }),
      queued: z.boolean(),
      statusUrl: z.string().nullable(),
    })), async (c) => {
      const { binding } = await load(c.req.valid('param').id);
      if (binding.state !== 'active') throw conflict(`binding is ${binding.state}`);
      if (await runningRun(deps.db, binding.id, 'initial-sync')) throw conflict('an initial sync is running; it already pulls everything');
      const { workflowId, queued } = await bounded(deps, () => triggerPull(deps.temporal, binding.id));
      return c.json({ workflowId, queued, statusUrl: workflowId ? `/runs/${encodeURIComponent(workflowId)}` : null }, 202);
    });
}
