import { createRoute, z } from '@hono/zod-openapi';
import { HOOK_RUN_STATUSES, listHookRuns, type HookRun, type HookRunCursor } from '../db/hooks';
import { hookPoints } from '../plugins/types';
import type { ApiDeps } from './deps';
import { ErrorBody } from './errors';
import { decodeCursor, pageOf } from './cursor';
import { newRouter, security } from './router';

const HookRunView = z
  .object({
    firingId: z.number().int().openapi({ description: 'The firing: the same for every hook on it, and what `ctx.firingId` said' }),
    plugin: z.string(),
    hook: z.string(),
    point: z.enum(hookPoints as [string, ...string[]]),
    status: z.enum(HOOK_RUN_STATUSES).openapi({ description: '`retrying`: an attempt failed and more follow; `failed`: all attempts failed' }),
    attempts: z.number().int(),
    error: z.string().nullable().openapi({ description: 'The last failed attempt, one line' }),
    firedAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('HookRun');

export type HookRunView = z.infer<typeof HookRunView>;

const view = (r: HookRun): z.infer<typeof HookRunView> => ({
  firingId: r.firingId, plugin: r.plugin, hook: r.hook, point: r.point, status: r.status as HookRun['status'] & z.infer<typeof HookRunView>['status'],
  attempts: r.attempts, error: r.error, firedAt: r.firedAt.toISOString(), updatedAt: r.updatedAt.toISOString(),
});

const HookRunCursorKey = z.tuple([z.iso.datetime(), z.number().int().min(0).max(Number.MAX_SAFE_INTEGER), z.string().max(214), z.string().max(100)]);
function readHookRunCursor(cursor: string): HookRunCursor {
  const [at, firingId, plugin, hook] = decodeCursor(cursor, HookRunCursorKey);
  return { updatedAt: new Date(at), firingId, plugin, hook };
}

const ListQuery = z.object({
  status: z.enum(HOOK_RUN_STATUSES).optional(),
  plugin: z.string().min(1).max(214).optional(),
  hook: z.string().min(1).max(100).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().max(400).optional().openapi({ description: '`nextCursor` of the previous page' }),
});

/** How plugin hooks ran: every firing's outcome per hook, failures first to look at. */
export function hookRoutes(deps: Pick<ApiDeps, 'db'>) {
  return newRouter().openapi(
    createRoute({
      method: 'get',
      path: '/runs',
      summary: 'Runs of plugin hooks, newest first: which succeeded, which are retrying, which failed and why',
      security,
      request: { query: ListQuery },
      responses: {
        200: { description: 'A page of hook runs', content: { 'application/json': { schema: z.object({ items: z.array(HookRunView), nextCursor: z.string().nullable() }) } } },
        400: { description: 'Bad query', content: { 'application/json': { schema: ErrorBody } } },
      },
    }),
    async (c) => {
      const { status, plugin, hook, limit, cursor } = c.req.valid('query');
      const rows = await listHookRuns(deps.db, {
        limit: limit + 1, ...(status ? { status } : {}), ...(plugin ? { plugin } : {}), ...(hook ? { hook } : {}), ...(cursor ? { before: readHookRunCursor(cursor) } : {}),
      });
      return c.json(pageOf(rows, limit, view, (r) => [r.updatedAt.toISOString(), r.firingId, r.plugin, r.hook]), 200);
    },
  );
}
