import { createRoute, z } from '@hono/zod-openapi';
import { capabilitiesOf } from '../connectors/define';
import type { ApiDeps } from './deps';
import { newRouter, security } from './router';

const Connector = z
  .object({
    slug: z.string().openapi({ example: 'github' }),
    name: z.string(),
    description: z.string().openapi({ description: 'Markdown' }),
    logoUrl: z.string(),
    capabilities: z.object({
      pull: z.boolean(), write: z.boolean(), comments: z.boolean(), attachments: z.boolean(),
      commentEdits: z.boolean().openapi({ description: 'Comments posted there can be edited (false: add-only; a hub edit stays in the hub)' }),
      deleteItems: z.boolean().openapi({ description: 'Items can be deleted there (false: a binding whose delete policy is `delete` closes them instead)' }),
      conditionalRequests: z.boolean(), customFields: z.boolean(),
      fields: z.array(z.string()).openapi({ description: 'Hub fields the remote has: what a binding with no rules syncs, two-way' }),
    }).openapi({ description: 'Derived from what the connector implements' }),
    configSchema: z.record(z.string(), z.unknown()).openapi({ description: 'JSON Schema of the connection config' }),
    secretsSchema: z.record(z.string(), z.unknown()).openapi({ description: 'JSON Schema of the secrets (write-only)' }),
    bindingOptions: z.record(z.string(), z.unknown()).nullable()
      .openapi({ description: "JSON Schema of what a binding may set for this connector in its rules' `options` (null: nothing)" }),
  })
  .openapi('Connector');

export type ConnectorView = z.infer<typeof Connector>;

const list = createRoute({
  method: 'get',
  path: '/',
  summary: 'Installed connectors with their configuration JSON Schema',
  security,
  responses: { 200: { description: 'Connectors', content: { 'application/json': { schema: z.object({ items: z.array(Connector) }) } } } },
});

export function connectorRoutes(deps: ApiDeps) {
  const items = deps.connectors.map((c) => ({
    slug: c.slug,
    name: c.name,
    description: c.description,
    logoUrl: c.logoUrl,
    capabilities: capabilitiesOf(c),
    configSchema: z.toJSONSchema(c.configSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>,
    secretsSchema: z.toJSONSchema(c.secretsSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>,
    bindingOptions: c.bindingOptions ? (z.toJSONSchema(c.bindingOptions, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>) : null,
  }));
  return newRouter().openapi(list, (c) => c.json({ items }, 200));
}
