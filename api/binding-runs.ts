import { createRoute, z } from '@hono/zod-openapi';
import { getBinding } from '../db/bindings';
import { listBindingRuns, type Run } from '../db/runs';
import { decodeCursor, pageOf } from './cursor';
import type { ApiDeps } from './deps';
import { ErrorBody, notFound } from './errors';
import { newRouter, security } from './router';
import { IdParam, json } from './schemas';

const BindingRun = z
  .object({
    workflowId: z.string().openapi({ description: 'GET /runs/{workflowId} for its live progress' }),
    kind: z.string().openapi({ example: 'pull' }),
    status: z.string().openapi({ description: 'running, completed, failed or skipped' }),
    counts: z.record(z.string(), z.number()).openapi({ description: 'created, updated, unchanged, failed' }),
    items: z.number().int().nullable().openapi({ description: 'Remote items read' }),
    error: z.string().nullable(),
    startedAt: z.string(),
    finishedAt: z.string().nullable(),
  })
  .openapi('BindingRun');

export type BindingRunView = z.infer<typeof BindingRun>;

const RunQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional().openapi({ description: 'nextCursor of the previous page' }),
});
const RunCursorKey = z.tuple([z.iso.datetime(), z.uuid()]);

const list = createRoute({
  method: 'get', path: '/{id}/runs', summary: 'The binding\'s sync runs (initial syncs and pulls), newest first, with their counts', security,
  request: { params: IdParam, query: RunQuery },
  responses: {
    200: json(z.object({ items: z.array(BindingRun), nextCursor: z.string().nullable() }), 'Runs'),
    400: json(ErrorBody, 'Invalid query'), 404: json(ErrorBody, 'Not found'),
  },
});

const view = (r: Run): z.infer<typeof BindingRun> => ({
  workflowId: r.workflowId, kind: r.kind, status: r.status, counts: { ...r.counts },
  items: typeof (r.progress as { items?: unknown } | null)?.items === 'number' ? (r.progress as { items: number }).items : null,
  error: r.error, startedAt: r.startedAt.toISOString(), finishedAt: r.finishedAt?.toISOString() ?? null,
});

export function bindingRunRoutes(deps: ApiDeps) {
  return newRouter().openapi(list, async (c) => {
    const { id } = c.req.valid('param');
    const { limit, cursor } = c.req.valid('query');
    if (!(await getBinding(deps.db, id))) throw notFound('binding');
    const before = cursor ? decodeCursor(cursor, RunCursorKey) : undefined;
    const rows = await listBindingRuns(deps.db, id, { limit: limit + 1, ...(before ? { before: { startedAt: new Date(before[0]), id: before[1] } } : {}) });
    return c.json(pageOf(rows, limit, view, (r) => [r.startedAt.toISOString(), r.id]), 200);
  });
}
