import { serve, type ServerType } from '@hono/node-server';
import { expect } from 'vitest';
import { connectTestClient, createTestApi, createTestDatabase, eventually, startTestWorker } from './harness';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A database, a Temporal client, a worker and the API: what an end-to-end test file needs. */
export async function startStack() {
  const database = await createTestDatabase();
  const client = await connectTestClient();
  let worker = await startTestWorker({ db: database.db, database });
  const api = await createTestApi({ database, client, taskQueue: worker.taskQueue });

  async function post(path: string, body?: unknown, expected = [200, 201, 202]): Promise<Json> {
    const res = await api.call('POST', path, body);
    const json = (await res.json()) as Json;
    if (!expected.includes(res.status)) throw new Error(`POST ${path} → ${res.status}: ${JSON.stringify(json)}`);
    return json;
  }
  async function get(path: string): Promise<Json> {
    const res = await api.call('GET', path);
    const json = (await res.json()) as Json;
    if (res.status !== 200) throw new Error(`GET ${path} → ${res.status}: ${JSON.stringify(json)}`);
    return json;
  }
  /** Polls a run until it is no longer running. */
  async function waitRun(workflowId: string, timeoutMs = 60_000): Promise<Json> {
    return eventually(async () => {
      const run = await get(`/runs/${encodeURIComponent(workflowId)}`);
      return run.status === 'running' ? undefined : run;
    }, timeoutMs, 200);
  }
  /** Project + connection + binding through the API. */
  async function bind(connector: string, config: Json, secrets: Json, scope: string, extra: Json = {}) {
    const key = `P${Math.random().toString(36).slice(2, 8).toUpperCase()}`;
    const project = await post('/projects', { key, name: key });
    const connection = await post('/connections', { connector, name: `${connector} ${key}`, config, secrets });
    const binding = await post('/bindings', { projectId: project.id, connectionId: connection.id, scope, pullIntervalSeconds: 3600, ...extra });
    return { project, connection, binding };
  }
  async function initialSync(bindingId: string, timeoutMs?: number) {
    const started = await post(`/bindings/${bindingId}/initial-sync`);
    const run = await waitRun(started.workflowId, timeoutMs);
    return { started, run };
  }
  async function pullNow(bindingId: string, timeoutMs?: number) {
    const started = await post(`/bindings/${bindingId}/pull`);
    expect(started.queued).toBe(false);
    return waitRun(started.workflowId, timeoutMs);
  }
  /** Stops the worker (and its outbox relay) and starts a new one on the same task queue, as a redeploy would. */
  async function restartWorker() {
    await worker.stop();
    worker = await startTestWorker({ db: database.db, database, taskQueue: worker.taskQueue });
  }
  async function stop() {
    await worker.stop();
    await client.close();
    await database.drop();
  }
  return {
    database, client, api, post, get, waitRun, bind, initialSync, pullNow, restartWorker, stop,
    /** The current worker (a new one after restartWorker). */
    get worker() { return worker; },
  };
}

export type Stack = Awaited<ReturnType<typeof startStack>>;

/** The stack's API on a port of 127.0.0.1, for callers that need a URL (a remote's webhooks, the CLI). */
export async function serveApi(stack: Stack): Promise<{ base: string; close(): Promise<void> }> {
  let server: ServerType | undefined;
  const port = await new Promise<number>((resolve) => {
    server = serve({ fetch: stack.api.app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => resolve(info.port));
  });
  return { base: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => (server ? server.close(() => resolve()) : resolve())) };
}
