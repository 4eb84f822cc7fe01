import { randomBytes, randomUUID } from 'node:crypto';
import { createRoute, z } from '@hono/zod-openapi';
import { changeSealedSecrets, deleteConnection, getConnection, getConnectionForChange, insertConnection, listConnections, updateConnectionIfUnchanged } from '../db/connections';
import { WEBHOOK_SECRET_KEY, WEBHOOK_SECRET_MAX, WEBHOOK_SECRET_MIN, connectorSecretsOf, webhookSecretOf, withWebhookSecret } from '../lib/connection-secrets';
import { ConnectorKey } from '../workflows/contract';
import { connectionTest } from '../workflows';
import { connectionTestWorkflowId } from '../workflows/contract';
import { refuseConnectionConfig } from '../connectors/http/destination';
import { sameJson } from '../rules';
import type { ApiDeps } from './deps';
import { ApiError, ErrorBody, invalid, notFound } from './errors';
import { metadataCache, testCandidate } from './connection-calls';
import { bounded, listRemoteScopes } from './remote-calls';
import { resumeBinding } from './binding-resume';
import { bindingsPausedForAuth } from '../db/bindings';
import { newRouter, security } from './router';
import { IdParam, StartedRun, json } from './schemas';

const Connection = z
  .object({
    id: z.uuid(),
    connector: z.string(),
    name: z.string(),
    config: z.record(z.string(), z.unknown()),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Connection');

export type ConnectionView = z.infer<typeof Connection>;

const CreateConnection = z
  .strictObject({
    connector: z.string().min(1).openapi({ example: 'redmine' }),
    name: z.string().min(1).max(200).openapi({ example: 'Customer Redmine' }),
    config: z.record(z.string(), z.unknown()).openapi({ example: { baseUrl: 'https://redmine.example.com' } }),
    secrets: z.record(z.string(), z.unknown()).openapi({
      description: `Write-only; stored encrypted, never returned. Besides the connector's own secrets, an optional \`${WEBHOOK_SECRET_KEY}\` (${WEBHOOK_SECRET_MIN}-${WEBHOOK_SECRET_MAX} characters) checks incoming webhooks`,
      example: { apiKey: '…' },
    }),
  })
  .openapi('CreateConnection');

const WebhookSecretInput = z.string().min(WEBHOOK_SECRET_MIN).max(WEBHOOK_SECRET_MAX).optional();

const UpdateConnection = z
  .strictObject({
    name: z.string().min(1).max(200).optional().openapi({ example: 'Customer Redmine (prod)' }),
    config: z.record(z.string(), z.unknown()).optional().openapi({
      description: 'Merged into the stored config (a key given replaces its value, null removes it), then validated by the connector',
      example: { baseUrl: 'https://redmine.example.com' },
    }),
    secrets: z.record(z.string(), z.unknown()).optional().openapi({
      description: `Write-only. Merged into the stored secrets: a key given replaces its value, null removes it, the others are kept. \`${WEBHOOK_SECRET_KEY}\` as in create (null removes it)`,
      example: { apiKey: '…' },
    }),
  })
  .refine((b) => b.name !== undefined || b.config !== undefined || b.secrets !== undefined, { message: 'give at least one of name, config, secrets' })
  .openapi('UpdateConnection');

const ConnectionInUse = z
  .object({ error: ErrorBody.shape.error, bindings: z.array(z.uuid()).openapi({ description: 'The live bindings using the connection' }) })
  .openapi('ConnectionInUse');

const Named = z.object({ id: z.string().optional(), name: z.string() });
const RemoteMetadata = z
  .object({
    statuses: z.array(Named.extend({ closed: z.boolean() })),
    priorities: z.array(Named),
    users: z.array(Named.extend({ displayName: z.string().optional() })).openapi({ description: '`name` is the assignee value as the connector reads it (GitHub login, Redmine name, Jira accountId on Cloud or login on Data Center)' }),
    labels: z.array(Named),
    issueTypes: z.array(Named),
    customFields: z.array(Named.extend({ type: z.string().optional(), multiple: z.boolean().optional(), values: z.array(z.string()).optional() }))
      .openapi({ description: 'Addressed in rules as `customFields.<name>`' }),
  })
  .openapi('RemoteMetadata');
export type RemoteMetadataView = z.infer<typeof RemoteMetadata>;
const MetadataQuery = z.object({
  scope: z.string().min(1).max(255).openapi({ param: { name: 'scope', in: 'query' }, example: 'website' }),
  refresh: z.enum(['true', 'false']).default('false').transform((v) => v === 'true')
    .openapi({ param: { name: 'refresh', in: 'query' }, description: 'Skip the one-minute cache' }),
});

/** A JSON merge patch, one level deep: a key given replaces its value, null removes it. */
function mergeTop(stored: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out = { ...stored };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = v;
  }
  return out;
}

const view = (row: { createdAt: Date; updatedAt: Date } & Omit<z.infer<typeof Connection>, 'createdAt' | 'updatedAt'>) => ({
  ...row,
  createdAt: row.createdAt.toISOString(),
  updatedAt: row.updatedAt.toISOString(),
});

const create = createRoute({
  method: 'post', path: '/', summary: 'Create a connection (config and secrets validated by the connector)', security,
  request: { body: { content: { 'application/json': { schema: CreateConnection } }, required: true } },
  responses: { 201: json(Connection, 'Created'), 400: json(ErrorBody, 'Invalid input') },
});
const list = createRoute({
  method: 'get', path: '/', summary: 'List connections', security,
  responses: { 200: json(z.object({ items: z.array(Connection) }), 'Connections') },
});
const get = createRoute({
  method: 'get', path: '/{id}', summary: 'One connection', security, request: { params: IdParam },
  responses: { 200: json(Connection, 'Connection'), 404: json(ErrorBody, 'Not found') },
});
const ScopeGroups = z
  .object({ items: z.array(z.object({ group: z.string(), scopes: z.array(z.object({ id: z.string(), name: z.string(), url: z.string().optional() })) })) })
  .openapi('ScopeGroups');
export type ScopeGroupsView = z.infer<typeof ScopeGroups>;
const scopes = createRoute({
  method: 'get', path: '/{id}/scopes', summary: 'Remote scopes (repos, projects) this connection can bind, grouped', security, request: { params: IdParam },
  responses: {
    200: json(ScopeGroups, 'Scopes'), 404: json(ErrorBody, 'Not found'), 502: json(ErrorBody, 'The remote refused or failed (a short classified reason; details in the logs)'),
    503: json(ErrorBody, 'Temporal is unavailable (see Retry-After)'), 504: json(ErrorBody, 'The remote did not answer in time'),
  },
});
const WebhookSecret = z
  .object({
    webhookSecret: z.string().openapi({ description: 'Shown this once: store it in the remote\'s webhook settings' }),
    urls: z.record(z.string(), z.string()).openapi({
      description: 'Paths to append to the API\'s public URL: `poke` always, and the connector\'s own (by its slug) when it declares webhooks',
      example: { github: '/webhooks/github/0b7c…', poke: '/webhooks/poke/0b7c…' },
    }),
  })
  .openapi('WebhookSecret');
const webhookSecret = createRoute({
  method: 'post', path: '/{id}/webhook-secret', security, request: { params: IdParam },
  summary: 'Generate (or replace) the connection\'s webhook secret; it is returned this once',
  responses: { 201: json(WebhookSecret, 'The new secret'), 404: json(ErrorBody, 'Not found') },
});
const ChangedConnection = Connection.extend({
  resumedBindings: z.array(z.uuid()).openapi({ description: 'Bindings that were paused because the remote rejected the old credentials, resumed now that the new ones passed the test' }),
}).openapi('ChangedConnection');
const update = createRoute({
  method: 'patch', path: '/{id}', security, request: { params: IdParam, body: { content: { 'application/json': { schema: UpdateConnection } }, required: true } },
  summary: 'Rename, change config or rotate secrets; a change to the config or the credentials is tested against the remote (in a workflow) before it is saved',
  responses: {
    200: json(ChangedConnection, 'Changed'), 400: json(ErrorBody, 'Invalid input, or the remote refused the new config or credentials (code connection_test_failed; nothing was saved)'),
    404: json(ErrorBody, 'Not found'), 409: json(ErrorBody, 'The connection changed while the new credentials were tested; retry'),
    502: json(ErrorBody, 'The test could not reach a verdict: the remote failed'), 503: json(ErrorBody, 'Temporal is unavailable (see Retry-After)'),
    504: json(ErrorBody, 'The remote did not answer in time'),
  },
});
const remove = createRoute({
  method: 'delete', path: '/{id}', summary: 'Delete a connection no live binding uses (deleted bindings\' history goes with it)', security, request: { params: IdParam },
  responses: { 204: { description: 'Deleted' }, 404: json(ErrorBody, 'Not found'), 409: json(ConnectionInUse, 'Live bindings use it: their ids') },
});
const metadata = createRoute({
  method: 'get', path: '/{id}/metadata', security, request: { params: IdParam, query: MetadataQuery },
  summary: 'The scope\'s statuses (open or closed), priorities, users, labels, issue types and custom fields, for picking mapped values (cached for a minute)',
  responses: {
    200: json(RemoteMetadata, 'Metadata'), 404: json(ErrorBody, 'Not found'), 422: json(ErrorBody, 'The remote has no such scope (code unknown_scope)'),
    501: json(ErrorBody, 'The connector cannot list metadata'),
    502: json(ErrorBody, 'The remote refused or failed (a short classified reason; details in the logs)'),
    503: json(ErrorBody, 'Temporal is unavailable (see Retry-After)'), 504: json(ErrorBody, 'The remote did not answer in time'),
  },
});
const test = createRoute({
  method: 'post', path: '/{id}/test', summary: 'Test the connection in a workflow; poll the returned run', security, request: { params: IdParam },
  responses: { 202: json(StartedRun, 'Test started'), 404: json(ErrorBody, 'Not found'), 503: json(ErrorBody, 'Temporal is unavailable (see Retry-After)') },
});

export function connectionRoutes(deps: ApiDeps) {
  const bySlug = new Map(deps.connectors.map((c) => [c.slug, c]));
  const cache = metadataCache(deps);
  const asRecord = (v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
  return newRouter()
    .openapi(create, async (c) => {
      const body = c.req.valid('json');
      const connector = bySlug.get(body.connector);
      if (!connector) {
        throw new ApiError(400, 'invalid_request', `Unknown connector "${body.connector}"`, [
          { path: 'connector', message: `expected one of: ${[...bySlug.keys()].join(', ')}` },
        ]);
      }
      const config = connector.configSchema.safeParse(body.config);
      if (!config.success) throw invalid(config.error, ['config']);
      const refused = await refuseConnectionConfig(deps.destinations, config.data);
      if (refused) throw new ApiError(400, 'invalid_request', 'Invalid config.baseUrl', [{ path: 'config.baseUrl', message: refused }]);
      const webhook = WebhookSecretInput.safeParse(body.secrets[WEBHOOK_SECRET_KEY]);
      if (!webhook.success) throw invalid(webhook.error, ['secrets', WEBHOOK_SECRET_KEY]);
      const secrets = connector.secretsSchema.safeParse(connectorSecretsOf(body.secrets));
      if (!secrets.success) throw invalid(secrets.error, ['secrets']);
      const row = await insertConnection(deps.db, {
        connector: connector.slug,
        name: body.name,
        config: config.data as Record<string, unknown>,
        secretsSealed: deps.secretBox.seal(withWebhookSecret(secrets.data, webhook.data)),
      });
      return c.json(view(row), 201);
    })
    .openapi(list, async (c) => c.json({ items: (await listConnections(deps.db)).map(view) }, 200))
    .openapi(get, async (c) => {
      const row = await getConnection(deps.db, c.req.valid('param').id);
      if (!row) throw notFound('connection');
      return c.json(view(row), 200);
    })
    .openapi(webhookSecret, async (c) => {
      const { id } = c.req.valid('param');
      const secret = randomBytes(32).toString('hex');
      const row = await getConnection(deps.db, id);
      const changed = row && await changeSealedSecrets(deps.db, id, (sealed) => deps.secretBox.seal(withWebhookSecret(deps.secretBox.open(sealed), secret)));
      if (!row || !changed) throw notFound('connection');
      deps.logger.info({ connection: id }, 'webhook secret replaced');
      const own = deps.connectors.find((c) => c.slug === row.connector)?.webhooks ? { [row.connector]: `/webhooks/${row.connector}/${id}` } : {};
      const urls = { ...own, poke: `/webhooks/poke/${id}` };
      return c.json({ webhookSecret: secret, urls }, 201);
    })
    .openapi(update, async (c) => {
      const { id } = c.req.valid('param');
      const body = c.req.valid('json');
      const row = await getConnectionForChange(deps.db, id);
      if (!row) throw notFound('connection');
      const connector = bySlug.get(row.connector);
      if (!connector) throw new ApiError(409, 'conflict', `The connection's connector "${row.connector}" is not installed`);
      const values: { name?: string; config?: Record<string, unknown>; secretsSealed?: string } = {};
      if (body.name !== undefined) values.name = body.name;
      let config = row.config;
      if (body.config !== undefined) {
        const parsed = connector.configSchema.safeParse(mergeTop(row.config, body.config));
        if (!parsed.success) throw invalid(parsed.error, ['config']);
        const refused = await refuseConnectionConfig(deps.destinations, parsed.data);
        if (refused) throw new ApiError(400, 'invalid_request', 'Invalid config.baseUrl', [{ path: 'config.baseUrl', message: refused }]);
        config = parsed.data as Record<string, unknown>;
        if (!sameJson(config, row.config)) values.config = config;
      }
      const stored = deps.secretBox.open(row.secretsSealed);
      let secrets = connectorSecretsOf(stored);
      let secretsChanged = false;
      if (body.secrets !== undefined) {
        let webhook = webhookSecretOf(stored);
        const givenWebhook = body.secrets[WEBHOOK_SECRET_KEY];
        if (givenWebhook !== undefined) {
          const parsed = WebhookSecretInput.nullable().safeParse(givenWebhook);
          if (!parsed.success) throw invalid(parsed.error, ['secrets', WEBHOOK_SECRET_KEY]);
          webhook = parsed.data ?? undefined;
        }
        const own = asRecord(connectorSecretsOf(body.secrets));
        if (Object.keys(own).length > 0) {
          const parsed = connector.secretsSchema.safeParse(mergeTop(asRecord(secrets), own));
          if (!parsed.success) throw invalid(parsed.error, ['secrets']);
          secrets = parsed.data;
          secretsChanged = true;
        }
        values.secretsSealed = deps.secretBox.seal(withWebhookSecret(secrets, webhook));
      }
      // New credentials or a new config are tried on the remote first: a rotation to a key that does not work is refused, and the old one stays.
      if (secretsChanged || values.config !== undefined) {
        const result = await testCandidate(deps, row, deps.secretBox.seal({ config, secrets }));
        if (!result.ok) {
          const paths = [...(secretsChanged ? ['secrets'] : []), ...(values.config !== undefined ? ['config'] : [])];
          throw new ApiError(400, 'connection_test_failed', `The remote refused the new ${paths.join(' and ')}; nothing was saved: ${result.message}`,
            paths.map((path) => ({ path, message: result.message })));
        }
      }
      const saved = await updateConnectionIfUnchanged(deps.db, id, row.updatedAt, values);
      if (!saved) {
        if (!(await getConnection(deps.db, id))) throw notFound('connection');
        throw new ApiError(409, 'conflict', 'The connection changed while this change was tested; read it again and retry');
      }
      cache.forget(id);
      deps.logger.info({ connection: id, changed: Object.keys(values).map((k) => (k === 'secretsSealed' ? 'secrets' : k)) }, 'connection changed');
      // Credentials that just passed the test end the pauses the old ones caused; an operator's pause stays.
      const resumedBindings = secretsChanged || values.config !== undefined ? await bindingsPausedForAuth(deps.db, id) : [];
      for (const bindingId of resumedBindings) await resumeBinding(deps, bindingId);
      if (resumedBindings.length) deps.logger.info({ connection: id, bindings: resumedBindings }, 'bindings paused for bad credentials resumed');
      return c.json({ ...view(saved), resumedBindings }, 200);
    })
    .openapi(remove, async (c) => {
      const { id } = c.req.valid('param');
      const result = await deleteConnection(deps.db, id);
      if (!result) throw notFound('connection');
      if (!result.deleted) {
        const message = `The connection is used by ${result.bindings.length} binding(s); delete them first`;
        return c.json({ error: { code: 'in_use', message }, bindings: result.bindings }, 409);
      }
      cache.forget(id);
      deps.logger.info({ connection: id }, 'connection deleted');
      return c.body(null, 204);
    })
    .openapi(metadata, async (c) => {
      const row = await getConnection(deps.db, c.req.valid('param').id);
      if (!row) throw notFound('connection');
      const { scope, refresh } = c.req.valid('query');
      const found = await cache.get(row, scope, refresh);
      if (!found) throw new ApiError(501, 'not_supported', `The ${row.connector} connector cannot list metadata`);
      return c.json(found, 200);
    })
    .openapi(test, async (c) => {
      const row = await getConnection(deps.db, c.req.valid('param').id);
      if (!row) throw notFound('connection');
      const workflowId = connectionTestWorkflowId(row.id, randomUUID().slice(0, 8));
      const handle = await bounded(deps, () => deps.temporal.workflow.start(connectionTest, {
        workflowId,
        taskQueue: deps.taskQueue,
        args: [row.id],
        typedSearchAttributes: [{ key: ConnectorKey, value: row.connector }],
        workflowExecutionTimeout: '5 minutes',
      }));
      return c.json({ workflowId, runId: handle.firstExecutionRunId, statusUrl: `/runs/${encodeURIComponent(workflowId)}` }, 202);
    })
    .openapi(scopes, async (c) => {
      const row = await getConnection(deps.db, c.req.valid('param').id);
      if (!row) throw notFound('connection');
      // Through a short workflow like every remote call: the API never talks to remotes itself.
      return c.json({ items: await listRemoteScopes(deps, row) }, 200);
    });
}
