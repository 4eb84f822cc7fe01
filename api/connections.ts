import { randomBytes, randomUUID } from 'node:crypto';
import { createRoute, z } from '@hono/zod-openapi';
import { changeSealedSecrets, getConnection, insertConnection, listConnections } from '../db/connections';
import { WEBHOOK_SECRET_KEY, WEBHOOK_SECRET_MAX, WEBHOOK_SECRET_MIN, connectorSecretsOf, withWebhookSecret } from '../lib/connection-secrets';
import { ConnectorKey } from '../workflows/contract';
import { connectionTest } from '../workflows';
import { connectionTestWorkflowId } from '../workflows/contract';
import { refuseConnectionConfig } from '../connectors/http/destination';
import type { ApiDeps } from './deps';
import { ApiError, ErrorBody, invalid, notFound } from './errors';
import { bounded, listRemoteScopes } from './remote-calls';
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
    urls: z.object({ github: z.string(), jira: z.string(), poke: z.string() }).openapi({ description: 'Paths to append to the API\'s public URL' }),
  })
  .openapi('WebhookSecret');
const webhookSecret = createRoute({
  method: 'post', path: '/{id}/webhook-secret', security, request: { params: IdParam },
  summary: 'Generate (or replace) the connection\'s webhook secret; it is returned this once',
  responses: { 201: json(WebhookSecret, 'The new secret'), 404: json(ErrorBody, 'Not found') },
});
const test = createRoute({
  method: 'post', path: '/{id}/test', summary: 'Test the connection in a workflow; poll the returned run', security, request: { params: IdParam },
  responses: { 202: json(StartedRun, 'Test started'), 404: json(ErrorBody, 'Not found'), 503: json(ErrorBody, 'Temporal is unavailable (see Retry-After)') },
});

export function connectionRoutes(deps: ApiDeps) {
  const bySlug = new Map(deps.connectors.map((c) => [c.slug, c]));
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
      const changed = await changeSealedSecrets(deps.db, id, (sealed) => deps.secretBox.seal(withWebhookSecret(deps.secretBox.open(sealed), secret)));
      if (!changed) throw notFound('connection');
      deps.logger.info({ connection: id }, 'webhook secret replaced');
      const urls = { github: `/webhooks/github/${id}`, jira: `/webhooks/jira/${id}`, poke: `/webhooks/poke/${id}` };
      return c.json({ webhookSecret: secret, urls }, 201);
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
      return c.json({ items: await listRemoteScopes(deps, deps.taskQueue, deps.logger, row) }, 200);
    });
}
