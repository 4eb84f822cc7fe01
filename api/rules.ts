import { createRoute, z } from '@hono/zod-openapi';
import { getBindingWithConnector, setBindingRules } from '../db/bindings';
import type { Snapshot } from '../db/fields';
import { getLink } from '../db/links';
import { hubView, projectKey } from '../db/rules';
import { getStory } from '../db/stories';
import { decideCreate, decidePull, decidePush, effectiveRules, RuleSetSchema } from '../rules';
import type { ApiDeps } from './deps';
import { ApiError, ErrorBody, invalid, notFound } from './errors';
import { jsonBody, newRouter, rejectNul, security } from './router';
import { IdParam, json } from './schemas';

const example = {
  fields: [
    { hub: 'title', remote: 'title', kind: 'one_way' },
    { hub: 'description', remote: 'description', kind: 'two_way', policy: 'hub_wins' },
    { hub: 'status', remote: 'status', kind: 'two_way', map: [{ hub: 'in_progress', remote: 'Assigned' }, { hub: 'done', remote: 'Closed' }], fallback: { hub: 'open' } },
    { hub: 'key', remote: 'customFields.Supplier ticket', kind: 'to_remote' },
    { hub: 'priority', remote: 'priority.name', kind: 'default', default: 'Normal' },
  ],
  messages: { direction: 'both', tag: '#customer', stripTag: true },
  message_from_field: [{ remote: 'customFields.Analysis', headline: 'Analysis:' }],
  default_message: { body: 'Imported from the customer Redmine.' },
  files: { direction: 'both', prefix: 'customer-' },
};

/**
 * The RuleSet component is generated from the zod schema that validates rules (rules/schema.ts), so
 * the documentation cannot drift from what PUT accepts. Cross-field checks (a policy only on two_way,
 * one rule per hub field…) are not expressible in JSON Schema; the handler reports them as 400s.
 */
const { $schema: _dialect, ...ruleSetJsonSchema } = z.toJSONSchema(RuleSetSchema, { io: 'input', unrepresentable: 'any' });
const ruleSetComponent = {
  ...ruleSetJsonSchema,
  description: 'Attribute rules of a binding (docs/rules.md). Omitted sections take the connector defaults.',
  examples: [example],
};
const ruleSetRef = { $ref: '#/components/schemas/RuleSet' };

const RulesView = z.object({
  rules: z.unknown().openapi({ description: 'The stored rule set (a RuleSet), null when the binding uses the defaults', example }),
  effective: z.unknown().openapi({ description: 'What applies: the stored rules with every omitted section filled from the connector defaults' }),
}).openapi('BindingRules');
const PreviewBody = z.strictObject({
  storyId: z.uuid(),
  rules: z.unknown().optional().openapi({ description: 'Rules to try (RuleSet); omitted → the binding\'s current rules', example }),
}).openapi('RulePreviewRequest');
const Preview = z.object({
  remote: z.object({ remoteId: z.string(), remoteKey: z.string().nullable() }).nullable(),
  pull: z.object({ hub: z.record(z.string(), z.unknown()), messages: z.array(z.string()), warnings: z.array(z.string()) }),
  push: z.object({ remote: z.record(z.string(), z.unknown()), hub: z.record(z.string(), z.unknown()), warnings: z.array(z.string()) }),
  creates: z.boolean().openapi({ description: 'The story has no remote item through this binding yet: `push.remote` is the item a push would create' }),
}).openapi('RulePreview');

export type RulesView = z.infer<typeof RulesView>;
export type PreviewView = z.infer<typeof Preview>;

const errors = { 400: json(ErrorBody, 'Invalid input'), 404: json(ErrorBody, 'Not found') };

/** GET/PUT a binding's rules, and a dry run of them on one story. */
export function ruleRoutes(deps: ApiDeps) {
  const load = async (id: string) => {
    const row = await getBindingWithConnector(deps.db, id);
    if (!row || row.binding.state === 'deleted') throw notFound('binding');
    return row;
  };
  /** A rule set, with its `options` held to the connector's own schema (a 400 naming `options.<field>`). */
  const parse = (body: unknown, prefix: string[], connector: string) => {
    const parsed = RuleSetSchema.safeParse(body);
    if (!parsed.success) throw invalid(parsed.error as never, prefix);
    rejectNul(parsed.data, prefix);
    const schema = deps.connectors.find((c) => c.slug === connector)?.bindingOptions;
    if (parsed.data.options !== undefined) {
      const at = [...prefix, 'options'];
      if (!schema) throw new ApiError(400, 'invalid_request', `Invalid ${at.join('.')}`, [{ path: at.join('.'), message: `the ${connector} connector takes no binding options` }]);
      const options = schema.safeParse(parsed.data.options);
      if (!options.success) throw invalid(options.error as never, at);
    }
    return parsed.data;
  };

  const router = newRouter();
  router.openAPIRegistry.registerComponent('schemas', 'RuleSet', ruleSetComponent as never);
  return router
    .openapi(createRoute({ method: 'get', path: '/{id}/rules', summary: 'The binding\'s attribute rules', security, request: { params: IdParam }, responses: { 200: json(RulesView, 'Rules'), ...errors } }), async (c) => {
      const { binding, connector } = await load(c.req.valid('param').id);
      return c.json({ rules: binding.rules ?? null, effective: effectiveRules(binding.rules, connector) }, 200);
    })
    .openapi(createRoute({
      method: 'put', path: '/{id}/rules', summary: 'Replace the binding\'s attribute rules (null body fields → defaults)', security,
      // Validated in the handler against RuleSetSchema: a 400 then names the field at fault.
      request: { params: IdParam, body: { content: { 'application/json': { schema: ruleSetRef } }, required: true } },
      responses: { 200: json(RulesView, 'Stored'), ...errors },
    }), async (c) => {
      const { binding, connector } = await load(c.req.valid('param').id);
      const rules = parse(await jsonBody(c), [], connector);
      await setBindingRules(deps.db, binding.id, rules);
      return c.json({ rules, effective: effectiveRules(rules, connector) }, 200);
    })
    .openapi(createRoute({
      method: 'post', path: '/{id}/rules/preview', security,
      summary: 'Dry run on one story: what the given rules take from the remote (as last synced, applied as a first sync) and what a push would write; writes nothing',
      request: { params: IdParam, body: { content: { 'application/json': { schema: PreviewBody } }, required: true } },
      responses: { 200: json(Preview, 'Preview'), ...errors },
    }), async (c) => {
      const { binding, connector } = await load(c.req.valid('param').id);
      const body = c.req.valid('json');
      const rules = effectiveRules(body.rules === undefined ? binding.rules : parse(body.rules, ['rules'], connector), connector);
      const story = await getStory(deps.db, body.storyId);
      if (!story || story.projectId !== binding.projectId) throw new ApiError(400, 'invalid_request', 'Unknown story', [{ path: 'storyId', message: 'no such story in the bound project' }]);
      const hub = hubView(story, await projectKey(deps.db, story.projectId));
      const link = await getLink(deps.db, binding.id, story.id);
      const snapshot = link?.snapshot as Snapshot | null | undefined;
      const plain = (fields: object) => JSON.parse(JSON.stringify(fields)) as Record<string, never>;
      if (!link?.remoteId || !snapshot) {
        // Not on the remote yet (a new binding before its first sync): what a push would create from it.
        const created = decideCreate(rules, hub);
        return c.json({ remote: null, pull: { hub: {}, messages: [], warnings: [] }, push: { remote: plain(created.fields), hub: {}, warnings: created.warnings }, creates: true }, 200);
      }
      // The API never calls a remote: the remote is taken as last synced (its snapshot and the raw paths it kept).
      const remote = { fields: snapshot.fields, raw: Object.fromEntries(Object.entries(snapshot.paths ?? {})), updatedAt: link.remoteUpdatedAt ?? story.updatedAt.toISOString() };
      const hubUpdatedAt = story.updatedAt.toISOString();
      // The pull side is shown as a first sync under these rules (no snapshot): what they take from the remote's values.
      const pull = decidePull(rules, { hub, remote, snapshot: null, hubUpdatedAt });
      const push = decidePush(rules, { hub, remote, snapshot, hubUpdatedAt });
      return c.json({
        remote: { remoteId: link.remoteId, remoteKey: link.remoteKey },
        pull: { hub: plain(pull.set), messages: pull.messages, warnings: pull.warnings },
        push: { remote: plain(push.patch), hub: plain(push.hubSet), warnings: push.warnings },
        creates: false,
      }, 200);
    });
}
