import { sql } from 'drizzle-orm';
import { queryRows } from '../db/client';
import { Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectorKey } from '../workflows/contract';
import { startGitHubDouble } from './support/github-double';
import { connectTestClient, createTestApi, createTestDatabase, eventually, startTestWorker } from './support/harness';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('API over real Postgres and Temporal', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let client: Awaited<ReturnType<typeof connectTestClient>>;
  let worker: Awaited<ReturnType<typeof startTestWorker>>;
  let api: Awaited<ReturnType<typeof createTestApi>>;
  let github: Awaited<ReturnType<typeof startGitHubDouble>>;

  beforeAll(async () => {
    database = await createTestDatabase();
    client = await connectTestClient();
    worker = await startTestWorker({ db: database.db });
    api = await createTestApi({ database, client, taskQueue: worker.taskQueue });
    github = await startGitHubDouble();
  });
  afterAll(async () => {
    await github?.close();
    await worker?.stop();
    await client?.close();
    await database?.drop();
  });

  describe('authentication', () => {
    it('rejects a missing or wrong token with 401 and lets a valid one through', async () => {
      const missing = await api.app.request('/connections');
      expect(missing.status).toBe(401);
      expect(missing.headers.get('www-authenticate')).toMatch(/Bearer/);
      expect((await api.app.request('/connections', { headers: { authorization: 'Bearer tb_wrong' } })).status).toBe(401);
      expect((await api.app.request('/connections', { headers: { authorization: `Basic ${api.token}` } })).status).toBe(401);
      expect((await api.call('GET', '/connections')).status).toBe(200);
    });

    it('stores no token in plain text', async () => {
      const dump = JSON.stringify(await queryRows(database.db, sql`select * from api_tokens`));
      expect(dump).not.toContain(api.token);
      expect(dump).not.toContain(api.token.slice(10));
    });

    it('keeps /health, /openapi.json and /docs public', async () => {
      expect((await api.app.request('/health')).status).toBe(200);
      const spec = (await (await api.app.request('/openapi.json')).json()) as Json;
      expect(spec.openapi).toMatch(/^3\./);
      expect(Object.keys(spec.paths)).toEqual(expect.arrayContaining(['/health', '/connections', '/connections/{id}/test', '/runs/{workflowId}']));
      expect(spec.components.securitySchemes.bearerAuth.scheme).toBe('bearer');
      const docs = await api.app.request('/docs');
      expect(docs.status).toBe(200);
      expect(await docs.text()).toContain('/openapi.json');
    });
  });

  describe('health', () => {
    it('reports both dependencies ok', async () => {
      const body = (await (await api.app.request('/health')).json()) as Json;
      expect(body).toMatchObject({ status: 'ok', database: { ok: true }, temporal: { ok: true } });
    });

    it('answers 503 naming Temporal when it is unreachable', async () => {
      // A real connection attempt to an address where no Temporal listens.
      const unreachable = async () => void (await (await Connection.connect({ address: '127.0.0.1:1', connectTimeout: '500ms' })).close());
      const down = await createTestApi({ database, client, taskQueue: worker.taskQueue, temporalCheck: unreachable });
      const res = await down.app.request('/health');
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ status: 'degraded', database: { ok: true }, temporal: { ok: false } });
    });
  });

  describe('connections', () => {
    it('lists connectors with their config JSON Schema', async () => {
      const body = (await (await api.call('GET', '/connectors')).json()) as Json;
      const github = body.items.find((c: Json) => c.slug === 'github');
      expect(github.configSchema.type).toBe('object');
      expect(github.secretsSchema.properties).toHaveProperty('token');
    });

    it('rejects bad input with the field at fault and writes nothing', async () => {
      const before = await queryRows(database.db, sql`select count(*)::int as n from connections`);
      const unknown = await api.call('POST', '/connections', { connector: 'jira9', name: 'x', config: {}, secrets: {} });
      expect(unknown.status).toBe(400);
      expect(((await unknown.json()) as Json).error.fields[0].path).toBe('connector');
      const badConfig = await api.call('POST', '/connections', { connector: 'github', name: 'x', config: { baseUrl: 'not a url' }, secrets: { token: 't' } });
      expect(badConfig.status).toBe(400);
      expect(((await badConfig.json()) as Json).error.fields.map((f: Json) => f.path)).toContain('config.baseUrl');
      const extra = await api.call('POST', '/connections', { connector: 'github', name: 'x', config: {}, secrets: { token: 't' }, surprise: 1 });
      expect(extra.status).toBe(400);
      expect(await queryRows(database.db, sql`select count(*)::int as n from connections`)).toEqual(before);
    });

    it('stores secrets encrypted and never returns them', async () => {
      const res = await api.call('POST', '/connections', { connector: 'github', name: 'gh', config: { baseUrl: github.url }, secrets: { token: github.token } });
      expect(res.status).toBe(201);
      const text = await res.text();
      expect(text).not.toContain(github.token);
      const id = (JSON.parse(text) as Json).id as string;
      expect(await (await api.call('GET', `/connections/${id}`)).text()).not.toContain(github.token);
      expect(JSON.stringify(await queryRows(database.db, sql`select * from connections where id = ${id}`))).not.toContain(github.token);
    });
  });

  describe('first workflow: API → Temporal → worker → activity → back', () => {
    async function testConnection(token: string) {
      const created = (await (await api.call('POST', '/connections', { connector: 'github', name: 'gh', config: { baseUrl: github.url }, secrets: { token } })).json()) as Json;
      const started = await api.call('POST', `/connections/${created.id}/test`);
      expect(started.status).toBe(202);
      const { workflowId, statusUrl } = (await started.json()) as Json;
      expect(workflowId).toMatch(new RegExp(`^connection-test/${created.id}/`));
      const run = await eventually(async () => {
        const body = (await (await api.call('GET', statusUrl)).json()) as Json;
        return body.status === 'running' ? undefined : body;
      });
      return { workflowId, run };
    }

    it('runs the connector check on the worker and reports the result', async () => {
      const { workflowId, run } = await testConnection(github.token);
      expect(run).toMatchObject({ status: 'completed', type: 'connectionTest', result: { ok: true } });
      const description = await client.workflow.getHandle(workflowId).describe();
      expect(description.typedSearchAttributes.get(ConnectorKey)).toBe('github');
      const history = JSON.stringify(await client.workflow.getHandle(workflowId).fetchHistory());
      expect(history).not.toContain(github.token);
    });

    it('reports bad credentials as a failed check, not a crash', async () => {
      const { run } = await testConnection('ghp_wrong');
      expect(run).toMatchObject({ status: 'completed', result: { ok: false } });
      expect(run.result.message).toMatch(/401|credentials/i);
    });

    it('404s an unknown run', async () => {
      expect((await api.call('GET', '/runs/nope%2Fnothing')).status).toBe(404);
    });
  });
});
