import { createRoute, z } from '@hono/zod-openapi';
import { openDestinations, refuseDestinationUrl } from '../connectors/http/destination';
import { getProject } from '../db/projects';
import {
  deleteSink, dropSinkDeadLetter, getSink, insertSink, listSinkDeadLetters, listSinks, replaySink, retrySinkDeadLetters, sinkBacklog, updateSink,
  type Sink, type SinkDeadLetter,
} from '../db/sinks';
import { findSink, installedSinks } from '../plugins/registry';
import type { SinkDefinition } from '../sinks/types';
import { wakeSink } from '../temporal/dispatch';
import type { ApiDeps } from './deps';
import { ApiError, ErrorBody, invalid, notFound } from './errors';
import { bounded } from './remote-calls';
import { newRouter, security } from './router';
import { IdParam, json } from './schemas';

const SinkView = z
  .object({
    id: z.uuid(),
    name: z.string(),
    kind: z.string().openapi({ example: 'amqp' }),
    projectId: z.uuid().nullable().openapi({ description: 'null: every project' }),
    config: z.record(z.string(), z.unknown()),
    state: z.enum(['active', 'paused']),
    delivered: z.number().int().openapi({ description: 'Events the sink accepted' }),
    failed: z.number().int().openapi({ description: 'Events it refused for good (dead letters)' }),
    backlog: z.object({ size: z.number().int(), oldestAgeSeconds: z.number().nullable() }).openapi({ description: 'Events waiting, and how old the oldest is' }),
    lastError: z.string().nullable().openapi({ description: 'While the oldest event is being retried: why it failed' }),
    lastDeliveredAt: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Sink');

const CreateSink = z
  .strictObject({
    name: z.string().min(1).max(200),
    kind: z.string().min(1).max(50).openapi({ example: 'webhook', description: 'amqp, webhook, or a kind a plugin adds (GET /plugins)' }),
    projectId: z.uuid().nullable().default(null).openapi({ description: 'Omit (or null) for every project' }),
    config: z.record(z.string(), z.unknown()).default({}).openapi({ example: { url: 'https://hooks.example.com/trackbridge' } }),
    secrets: z.record(z.string(), z.unknown()).default({}).openapi({ description: 'Write-only, stored encrypted: amqp {url}, webhook {secret}', example: { secret: '…' } }),
  })
  .openapi('CreateSink');

const UpdateSink = z
  .strictObject({
    name: z.string().min(1).max(200).optional(),
    config: z.record(z.string(), z.unknown()).optional(),
    secrets: z.record(z.string(), z.unknown()).optional().openapi({ description: 'Replaces every secret' }),
  })
  .openapi('UpdateSink');

const DeadLetterView = z.object({ id: z.uuid(), eventId: z.number().int(), error: z.string(), createdAt: z.string() }).openapi('SinkDeadLetter');
const SinkDlParams = z.object({ id: z.uuid(), deadLetterId: z.uuid() });
const Replay = z.strictObject({ fromEventId: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).openapi({ description: 'The first event to publish again' }) }).openapi('SinkReplay');

const errors = { 400: json(ErrorBody, 'Invalid input'), 404: json(ErrorBody, 'Not found'), 503: json(ErrorBody, 'Temporal is unavailable (see Retry-After)') };

async function view(deps: Pick<ApiDeps, 'db'>, s: Sink): Promise<z.infer<typeof SinkView>> {
  const backlog = await sinkBacklog(deps.db, s.id);
  return {
    id: s.id, name: s.name, kind: s.kind, projectId: s.projectId, config: s.config, state: s.state as 'active' | 'paused',
    delivered: s.delivered, failed: s.failed, lastError: s.lastError, lastDeliveredAt: s.lastDeliveredAt?.toISOString() ?? null,
    backlog: { size: backlog.size, oldestAgeSeconds: backlog.oldestAt ? Math.max(0, Math.round((Date.now() - backlog.oldestAt.getTime()) / 1000)) : null },
    createdAt: s.createdAt.toISOString(), updatedAt: s.updatedAt.toISOString(),
  };
}

/** Where a sink will connect, as its kind declares it; a kind that declares nothing has its string `config.url` checked. */
function destinationsOf(definition: SinkDefinition, settings: { config: unknown; secrets: unknown }): { path: string; url: string }[] {
  if (definition.destinations) return definition.destinations(settings);
  const url = (settings.config as { url?: unknown }).url;
  return typeof url === 'string' ? [{ path: 'config.url', url }] : [];
}

const dlView = (d: SinkDeadLetter) => ({ id: d.id, eventId: d.eventId, error: d.error, createdAt: d.createdAt.toISOString() });

/** Event sinks: where hub changes are published (docs/events.md). */
export function sinkRoutes(deps: ApiDeps) {
  const load = async (id: string) => {
    const sink = await getSink(deps.db, id);
    if (!sink) throw notFound('sink');
    return sink;
  };
  const wake = (id: string) => bounded(deps, () => wakeSink(deps.temporal, deps.taskQueue, id));

  /** Config and secrets as the kind declares them; every URL the sink will connect to passes the egress policy. */
  async function settings(kind: string, config: unknown, secrets: unknown) {
    const definition = findSink(kind);
    if (!definition) {
      throw new ApiError(400, 'invalid_request', `Unknown sink kind "${kind}"`, [{ path: 'kind', message: `expected one of: ${installedSinks().map((s) => s.kind).join(', ')}` }]);
    }
    const parsedConfig = definition.configSchema.safeParse(config);
    if (!parsedConfig.success) throw invalid(parsedConfig.error, ['config']);
    const parsedSecrets = definition.secretsSchema ? definition.secretsSchema.safeParse(secrets) : { success: true as const, data: {} };
    if (!parsedSecrets.success) throw invalid(parsedSecrets.error, ['secrets']);
    for (const { path, url } of destinationsOf(definition, { config: parsedConfig.data, secrets: parsedSecrets.data })) {
      const refused = await refuseDestinationUrl(deps.destinations ?? openDestinations, url);
      // The message is the policy's, never the URL: a secret URL (amqp://user:password@…) is not echoed.
      if (refused) throw new ApiError(400, 'invalid_request', `Invalid ${path}`, [{ path, message: refused }]);
    }
    return { config: parsedConfig.data as Record<string, unknown>, secretsSealed: deps.secretBox.seal(parsedSecrets.data) };
  }

  return newRouter()
    .openapi(createRoute({
      method: 'post', path: '/', summary: 'Create an event sink (config and secrets validated by its kind); it receives changes from now on', security,
      request: { body: { content: { 'application/json': { schema: CreateSink } }, required: true } },
      responses: { 201: json(SinkView, 'Created'), ...errors },
    }), async (c) => {
      const body = c.req.valid('json');
      if (body.projectId && !(await getProject(deps.db, body.projectId))) {
        throw new ApiError(400, 'invalid_request', 'Unknown project', [{ path: 'projectId', message: 'no such project' }]);
      }
      const row = await insertSink(deps.db, { name: body.name, kind: body.kind, projectId: body.projectId, ...(await settings(body.kind, body.config, body.secrets)) });
      return c.json(await view(deps, row), 201);
    })
    .openapi(createRoute({
      method: 'get', path: '/', summary: 'List event sinks with their backlog', security,
      request: { query: z.object({ projectId: z.uuid().optional() }) },
      responses: { 200: json(z.object({ items: z.array(SinkView) }), 'Sinks'), 400: json(ErrorBody, 'Invalid input') },
    }), async (c) => {
      const rows = await listSinks(deps.db, c.req.valid('query').projectId);
      return c.json({ items: await Promise.all(rows.map((r) => view(deps, r))) }, 200);
    })
    .openapi(createRoute({
      method: 'get', path: '/{id}', summary: 'One sink: counts, backlog size and age, the last error', security, request: { params: IdParam },
      responses: { 200: json(SinkView, 'Sink'), 404: json(ErrorBody, 'Not found') },
    }), async (c) => c.json(await view(deps, await load(c.req.valid('param').id)), 200))
    .openapi(createRoute({
      method: 'patch', path: '/{id}', summary: 'Rename a sink, change its config or replace its secrets; the worker reopens it', security,
      request: { params: IdParam, body: { content: { 'application/json': { schema: UpdateSink } }, required: true } },
      responses: { 200: json(SinkView, 'Updated'), ...errors },
    }), async (c) => {
      const sink = await load(c.req.valid('param').id);
      const body = c.req.valid('json');
      const changes: Partial<Sink> = body.name ? { name: body.name } : {};
      if (body.config || body.secrets) {
        const next = await settings(sink.kind, body.config ?? sink.config, body.secrets ?? deps.secretBox.open(sink.secretsSealed));
        Object.assign(changes, next);
      }
      const row = await updateSink(deps.db, sink.id, changes);
      if (!row) throw notFound('sink');
      await wake(row.id);
      return c.json(await view(deps, row), 200);
    })
    .openapi(createRoute({
      method: 'delete', path: '/{id}', summary: 'Delete a sink and its backlog', security, request: { params: IdParam },
      responses: { 204: { description: 'Deleted' }, 404: json(ErrorBody, 'Not found') },
    }), async (c) => {
      if (!(await deleteSink(deps.db, c.req.valid('param').id))) throw notFound('sink');
      return c.body(null, 204);
    })
    .openapi(createRoute({
      method: 'post', path: '/{id}/pause', summary: 'Pause a sink: events keep queueing and are delivered, in order, on resume', security, request: { params: IdParam },
      responses: { 200: json(SinkView, 'Paused'), 404: json(ErrorBody, 'Not found') },
    }), async (c) => {
      const row = await updateSink(deps.db, (await load(c.req.valid('param').id)).id, { state: 'paused' });
      return c.json(await view(deps, row!), 200);
    })
    .openapi(createRoute({
      method: 'post', path: '/{id}/resume', summary: 'Resume a paused sink; its backlog drains oldest first', security, request: { params: IdParam },
      responses: { 200: json(SinkView, 'Resumed'), ...errors },
    }), async (c) => {
      const row = await updateSink(deps.db, (await load(c.req.valid('param').id)).id, { state: 'active' });
      await wake(row!.id);
      return c.json(await view(deps, row!), 200);
    })
    .openapi(createRoute({
      method: 'post', path: '/{id}/replay', summary: 'Publish again every event from an event id on (as far back as OUTBOX_RETENTION_DAYS keeps them)', security,
      request: { params: IdParam, body: { content: { 'application/json': { schema: Replay } }, required: true } },
      responses: { 202: json(z.object({ queued: z.number().int() }), 'Queued'), ...errors },
    }), async (c) => {
      const sink = await load(c.req.valid('param').id);
      const queued = await replaySink(deps.db, sink, c.req.valid('json').fromEventId);
      await wake(sink.id);
      return c.json({ queued }, 202);
    })
    .openapi(createRoute({
      method: 'get', path: '/{id}/dead-letters', summary: 'Events this sink refused for good', security, request: { params: IdParam },
      responses: { 200: json(z.object({ items: z.array(DeadLetterView) }), 'Dead letters'), 404: json(ErrorBody, 'Not found') },
    }), async (c) => c.json({ items: (await listSinkDeadLetters(deps.db, (await load(c.req.valid('param').id)).id)).map(dlView) }, 200))
    .openapi(createRoute({
      method: 'post', path: '/{id}/dead-letters/retry', summary: 'Queue every open dead letter again (delivered before newer events)', security, request: { params: IdParam },
      responses: { 202: json(z.object({ retried: z.number().int() }), 'Retried'), ...errors },
    }), async (c) => {
      const sink = await load(c.req.valid('param').id);
      const retried = await retrySinkDeadLetters(deps.db, sink.id);
      if (retried) await wake(sink.id);
      return c.json({ retried }, 202);
    })
    .openapi(createRoute({
      method: 'post', path: '/{id}/dead-letters/{deadLetterId}/retry', summary: 'Queue one dead letter again', security, request: { params: SinkDlParams },
      responses: { 202: json(z.object({ retried: z.number().int() }), 'Retried'), ...errors },
    }), async (c) => {
      const { id, deadLetterId } = c.req.valid('param');
      const sink = await load(id);
      const retried = await retrySinkDeadLetters(deps.db, sink.id, [deadLetterId]);
      if (!retried) throw notFound('dead letter');
      await wake(sink.id);
      return c.json({ retried }, 202);
    })
    .openapi(createRoute({
      method: 'delete', path: '/{id}/dead-letters/{deadLetterId}', summary: 'Drop one dead letter', security, request: { params: SinkDlParams },
      responses: { 200: json(z.object({ dropped: z.number().int() }), 'Dropped'), 404: json(ErrorBody, 'Not found') },
    }), async (c) => {
      const { id, deadLetterId } = c.req.valid('param');
      const dropped = await dropSinkDeadLetter(deps.db, (await load(id)).id, deadLetterId);
      if (!dropped) throw notFound('dead letter');
      return c.json({ dropped }, 200);
    });
}
