import { createRoute, z } from '@hono/zod-openapi';
import { WorkflowNotFoundError } from '@temporalio/client';
import { eq } from 'drizzle-orm';
import { outboxEvents } from '../db/schema';
import { getBindingWithConnector } from '../db/bindings';
import { listDeadLetters, resolveDeadLetters, type DeadLetter } from '../db/deadletters';
import { signalPush } from '../temporal/dispatch';
import { backlogQuery, backlogWorkflowId, retrySignal, type BacklogState } from '../workflows/contract';
import type { ApiDeps } from './deps';
import { ErrorBody, notFound } from './errors';
import { newRouter, security } from './router';
import { IdParam, json } from './schemas';

const Backlog = z
  .object({
    backlogged: z.boolean(),
    size: z.number().int().openapi({ description: 'Stories waiting, each covering one or more events' }),
    oldestEventId: z.number().int().nullable(),
    oldestAgeSeconds: z.number().nullable(),
    drained: z.number().int(),
    waiting: z.string().nullable(),
    deadLetters: z.number().int(),
  })
  .openapi('BacklogStatus');
const DeadLetterView = z.object({ id: z.uuid(), storyId: z.uuid(), eventId: z.number().int(), error: z.string(), createdAt: z.string() }).openapi('DeadLetter');
export type BacklogView = z.infer<typeof Backlog>;
export type DeadLetterView = z.infer<typeof DeadLetterView>;
const DlParams = IdParam.extend({ deadLetterId: z.uuid().openapi({ param: { name: 'deadLetterId', in: 'path' } }) });
const errors = { 404: json(ErrorBody, 'Not found') };
const view = (d: DeadLetter) => ({ id: d.id, storyId: d.storyId, eventId: d.eventId, error: d.error, createdAt: d.createdAt.toISOString() });

/** Operator routes for the ordered backlog and its dead letters. */
export function backlogRoutes(deps: ApiDeps) {
  const load = async (id: string) => {
    const row = await getBindingWithConnector(deps.db, id);
    if (!row || row.binding.state === 'deleted') throw notFound('binding');
    return { id: row.binding.id, projectId: row.binding.projectId, connector: row.connector, backlogged: row.binding.backlogged };
  };
  const retry = async (binding: Awaited<ReturnType<typeof load>>, letters: DeadLetter[]) => {
    for (const d of letters) await signalPush(deps.temporal, deps.taskQueue, binding, d.storyId, d.eventId, retrySignal);
    return letters.length;
  };

  return newRouter()
    .openapi(
      createRoute({ method: 'get', path: '/{id}/backlog', summary: 'Backlog status: backlogged or not, size, oldest age', security, request: { params: IdParam }, responses: { 200: json(Backlog, 'Backlog'), ...errors } }),
      async (c) => {
        const binding = await load(c.req.valid('param').id);
        let state: BacklogState = { size: 0, oldestEventId: null, drained: 0, waiting: null };
        try {
          state = await deps.temporal.workflow.getHandle(backlogWorkflowId(binding.id)).query(backlogQuery);
        } catch (err) {
          if (!(err instanceof WorkflowNotFoundError) && !/completed|closed/i.test((err as Error).message)) throw err;
        }
        const oldest = state.oldestEventId === null ? null : await eventTime(deps, state.oldestEventId);
        const deadLetters = (await listDeadLetters(deps.db, binding.id)).length;
        return c.json({ backlogged: binding.backlogged, ...state, oldestAgeSeconds: oldest === null ? null : Math.round((Date.now() - oldest.getTime()) / 1000), deadLetters }, 200);
      },
    )
    .openapi(
      createRoute({ method: 'get', path: '/{id}/dead-letters', summary: 'Open dead letters', security, request: { params: IdParam }, responses: { 200: json(z.object({ items: z.array(DeadLetterView) }), 'Dead letters'), ...errors } }),
      async (c) => c.json({ items: (await listDeadLetters(deps.db, (await load(c.req.valid('param').id)).id)).map(view) }, 200),
    )
    .openapi(
      createRoute({ method: 'post', path: '/{id}/dead-letters/{deadLetterId}/retry', summary: "Retry one dead letter (re-pushes the story's latest state)", security, request: { params: DlParams }, responses: { 202: json(z.object({ retried: z.number().int() }), 'Retried'), ...errors } }),
      async (c) => {
        const { id, deadLetterId } = c.req.valid('param');
        const binding = await load(id);
        const letters = await resolveDeadLetters(deps.db, binding.id, 'retried', deadLetterId);
        if (!letters.length) throw notFound('open dead letter');
        return c.json({ retried: await retry(binding, letters) }, 202);
      },
    )
    .openapi(
      createRoute({ method: 'post', path: '/{id}/dead-letters/retry', summary: 'Retry every open dead letter', security, request: { params: IdParam }, responses: { 202: json(z.object({ retried: z.number().int() }), 'Retried'), ...errors } }),
      async (c) => {
        const binding = await load(c.req.valid('param').id);
        return c.json({ retried: await retry(binding, await resolveDeadLetters(deps.db, binding.id, 'retried')) }, 202);
      },
    )
    .openapi(
      createRoute({ method: 'delete', path: '/{id}/dead-letters/{deadLetterId}', summary: 'Drop a dead letter', security, request: { params: DlParams }, responses: { 200: json(z.object({ dropped: z.number().int() }), 'Dropped'), ...errors } }),
      async (c) => {
        const { id, deadLetterId } = c.req.valid('param');
        const dropped = await resolveDeadLetters(deps.db, (await load(id)).id, 'dropped', deadLetterId);
        if (!dropped.length) throw notFound('open dead letter');
        return c.json({ dropped: dropped.length }, 200);
      },
    );
}

async function eventTime(deps: ApiDeps, eventId: number): Promise<Date | null> {
  const [row] = await deps.db.select({ time: outboxEvents.time }).from(outboxEvents).where(eq(outboxEvents.id, eventId));
  return row?.time ?? null;
}
