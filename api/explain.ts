import { createRoute, z } from '@hono/zod-openapi';
import { EXPLAIN_KINDS, listExplain, type ExplainEntry, type ExplainFilter } from '../db/explain';
import { getBinding } from '../db/bindings';
import { getStory } from '../db/stories';
import type { ApiDeps } from './deps';
import { ErrorBody, notFound } from './errors';
import { decodeCursor, pageOf } from './cursor';
import { newRouter, security } from './router';
import { IdParam, json } from './schemas';

const FieldValue = z.unknown().openapi({
  description: 'A field value as the rule compared it: a string, null, a list (labels), a map (custom fields) or {status, closed}',
});

const ActivityView = z
  .object({
    id: z.number().int(),
    at: z.string(),
    storyId: z.uuid(),
    bindingId: z.uuid(),
    direction: z.enum(['pull', 'push', 'create']).openapi({ description: 'The sync that wrote: a pull, a push, or a create (a story from a remote item on a pull, a remote item from a story on a push)' }),
    kind: z.enum(EXPLAIN_KINDS).openapi({ description: '`conflict`: a field changed on both sides since the last sync, settled by the policy; `create`: a story created from a remote item, one entry for all its fields (`written` maps each field to its value, `rules` to its rule)' }),
    target: z.enum(['hub', 'remote', 'none']).openapi({ description: 'Where `written` went; `none`: nothing was written (the hub kept its value)' }),
    field: z.string().nullable().openapi({ description: 'The hub field (null for comments and files)', example: 'status' }),
    remoteField: z.string().nullable().openapi({ description: 'The remote field or path the rule reads' }),
    rule: z.enum(['one_way', 'default', 'to_remote', 'two_way']).nullable(),
    policy: z.enum(['remote_wins', 'hub_wins', 'newest_wins']).nullable().openapi({ description: 'two_way only' }),
    base: FieldValue.openapi({ description: 'The remote value as last synced (the link snapshot); null when there was none' }),
    hub: FieldValue,
    remote: FieldValue,
    written: FieldValue.openapi({ description: 'The value written; for a comment its body, for a file its name; for a create, each field the rules set with its value' }),
    rules: z.record(z.string(), z.object({ rule: z.string(), remoteField: z.string(), policy: z.string().nullable() })).nullable()
      .openapi({ description: 'A create entry: the rule that set each field (null for other kinds)' }),
    outcome: z.string().openapi({ example: 'conflict: remote wins (remote_wins)' }),
    remoteId: z.string().nullable(),
    remoteKey: z.string().nullable(),
    runId: z.uuid().nullable().openapi({ description: 'The pull run that wrote, when there was one' }),
    storyVersion: z.number().int().nullable().openapi({ description: 'For a hub write, the story version it made; for a remote write, the hub version pushed' }),
  })
  .openapi('ExplainEntry');

export type ActivityView = z.infer<typeof ActivityView>;

const view = (e: ExplainEntry): z.infer<typeof ActivityView> => ({
  id: e.id, at: e.at.toISOString(), storyId: e.storyId, bindingId: e.bindingId,
  direction: e.direction as 'pull', kind: e.kind as 'field', target: e.target as 'hub', field: e.field, remoteField: e.remoteField,
  rule: e.rule as 'two_way' | null, policy: e.policy as 'remote_wins' | null,
  base: e.base ?? null, hub: e.hub ?? null, remote: e.remote ?? null, written: e.written ?? null,
  rules: (e.rules ?? null) as Record<string, { rule: string; remoteField: string; policy: string | null }> | null, outcome: e.outcome,
  remoteId: e.remoteId, remoteKey: e.remoteKey, runId: e.runId, storyVersion: e.storyVersion,
});

const ActivityCursor = z.tuple([z.number().int().min(1).max(Number.MAX_SAFE_INTEGER)]);

const ListQuery = z.object({
  kind: z.enum(EXPLAIN_KINDS).optional(),
  field: z.string().min(1).max(300).optional().openapi({ description: 'A hub field, e.g. status or customFields.Severity (create entries that set it included)' }),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(100).optional().openapi({ description: '`nextCursor` of the previous page' }),
});

const Page = z.object({ items: z.array(ActivityView), nextCursor: z.string().nullable() }).openapi('ActivityPage');

/** The explain log: why every field a pull or a push wrote changed, newest first. */
export function explainRoutes(deps: Pick<ApiDeps, 'db'>) {
  const page = async (scope: Pick<ExplainFilter, 'storyId' | 'bindingId'>, query: z.infer<typeof ListQuery>) => {
    const { kind, field, limit, cursor } = query;
    const rows = await listExplain(deps.db, { ...scope, limit: limit + 1, ...(kind ? { kind } : {}), ...(field ? { field } : {}), ...(cursor ? { before: decodeCursor(cursor, ActivityCursor)[0] } : {}) });
    return pageOf(rows, limit, view, (e) => [e.id]);
  };
  const responses = (what: string) => ({ 200: json(Page, 'A page of explain-log entries, newest first'), 400: json(ErrorBody, 'Bad query'), 404: json(ErrorBody, `No such ${what}`) });
  return newRouter()
    .openapi(
      createRoute({
        method: 'get', path: '/stories/{id}/activity', security, request: { params: IdParam, query: ListQuery }, responses: responses('story'),
        summary: "A story's explain log: every field a pull or a push wrote, with the rule, the policy and the base, hub and remote values; comments, files and conflicts",
      }),
      async (c) => {
        const story = await getStory(deps.db, c.req.valid('param').id);
        if (!story) throw notFound('story');
        return c.json(await page({ storyId: story.id }, c.req.valid('query')), 200);
      },
    )
    .openapi(
      createRoute({
        method: 'get', path: '/bindings/{id}/activity', security, request: { params: IdParam, query: ListQuery }, responses: responses('binding'),
        summary: "A binding's explain log: every write its pulls and pushes made, and why",
      }),
      async (c) => {
        const binding = await getBinding(deps.db, c.req.valid('param').id);
        if (!binding) throw notFound('binding');
        return c.json(await page({ bindingId: binding.id }, c.req.valid('query')), 200);
      },
    );
}
