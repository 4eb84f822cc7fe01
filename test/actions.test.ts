import { Client, Connection } from '@temporalio/client';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows, type Db } from '../db/client';
import { bindings, connections, externalLinks, projects, stories } from '../db/schema';
import { createApiToken } from '../db/tokens';
import { apiLimits } from '../api/limits';
import { loadPlugins } from '../plugins/load';
import { actionWorkflowId } from '../workflows/contract';
import { connectTestClient, createTestApi, createTestDatabase, eventually, startTestWorker } from './support/harness';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * A project bound twice (bindings a and b, and a deleted one), with stories linked on a, on b only, pending
 * on a, deleted, and one in another project; the connection's sealed secrets are a string to look for.
 */
async function seedHub(db: Db) {
  const [project, other] = await db.insert(projects).values([{ key: 'HUBV', name: 'Hub view' }, { key: 'HUBO', name: 'Other' }]).returning();
  const [connection] = await db.insert(connections).values({ connector: 'github', name: 'gh', config: { baseUrl: 'https://api.github.com' }, secretsSealed: 'SEALED-SECRET' }).returning();
  const bind = (scope: string, state = 'active') => ({ projectId: project!.id, connectionId: connection!.id, scope, state });
  const [a, b, gone] = await db.insert(bindings).values([bind('octo/a'), bind('octo/b'), bind('octo/gone', 'deleted')]).returning();
  const story = (title: string, extra: Partial<typeof stories.$inferInsert> = {}) => ({ projectId: project!.id, title, ...extra });
  const [linked, onB, pending, deleted, elsewhere] = await db.insert(stories).values([
    story('Linked here', { status: 'In progress', labels: ['ui'], customFields: { Severity: 'high' }, assignee: 'ada', version: 3 }),
    story('Linked on b only'),
    story('Being created'),
    story('Deleted', { deletedAt: new Date() }),
    { projectId: other!.id, title: 'Another project' },
  ]).returning();
  const syncedAt = new Date('2026-12-01T10:00:00.000Z');
  await db.insert(externalLinks).values([
    { bindingId: a!.id, storyId: linked!.id, remoteId: '11', remoteKey: 'octo/a#11', remoteUrl: 'https://github.com/octo/a/issues/11', marker: 'm1', snapshot: { fields: {} }, remoteUpdatedAt: '2026-12-01T09:59:58Z', remoteVersion: 'v7', syncedAt },
    { bindingId: b!.id, storyId: onB!.id, remoteId: '12', remoteKey: 'octo/b#12', marker: 'm2' },
    { bindingId: a!.id, storyId: pending!.id, remoteId: null, marker: 'm3' },
    { bindingId: a!.id, storyId: deleted!.id, remoteId: '13', remoteKey: 'octo/a#13', marker: 'm4' },
  ]);
  return { project: project!, connection: connection!, a: a!, gone: gone!, linked: linked!, onB: onB!, pending: pending!, deleted: deleted!, elsewhere: elsewhere! };
}

describe('plugin actions and their jobs, over real Postgres and Temporal', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let client: Awaited<ReturnType<typeof connectTestClient>>;
  let worker: Awaited<ReturnType<typeof startTestWorker>>;
  let api: Awaited<ReturnType<typeof createTestApi>>;

  beforeAll(async () => {
    // Before the app and the worker: routes are registered from the plugins loaded when the app is made.
    await loadPlugins(['./test/fixtures/plugins/hello.ts', './test/fixtures/plugins/jobs.ts']);
    database = await createTestDatabase();
    client = await connectTestClient();
    worker = await startTestWorker({ db: database.db });
    api = await createTestApi({ database, client, taskQueue: worker.taskQueue });
  });
  afterAll(async () => {
    await worker?.stop();
    await client?.close();
    await database?.drop();
  });

  let seeded: ReturnType<typeof seedHub> | undefined;
  const hubRows = () => (seeded ??= seedHub(database.db));
  const jobCount = async () => (await queryRows<{ n: number }>(database.db, sql`select count(*)::int as n from jobs`))[0]!.n;
  const start = async (path: string, body: unknown) => {
    const res = await api.call('POST', path, body);
    expect(res.status, await res.clone().text()).toBe(202);
    return (await res.json()) as { jobId: string; statusUrl: string; workflowId: string };
  };
  /** Polls the status URL until the job has ended (the observable event), and returns it. */
  const ended = (statusUrl: string) => eventually(async () => {
    const job = (await (await api.call('GET', statusUrl)).json()) as Json;
    return ['succeeded', 'failed', 'cancelled'].includes(job.status) ? job : undefined;
  });

  it('answers 400 naming a missing or bad param, and writes no job', async () => {
    const missing = await api.call('POST', '/plugins/hello-plugin/actions/greet', {});
    expect(missing.status).toBe(400);
    const body = (await missing.json()) as Json;
    expect(body.error.code).toBe('invalid_request');
    expect(body.error.fields.map((f: Json) => f.path)).toEqual(['who']);
    const bad = (await (await api.call('POST', '/plugins/jobs-plugin/actions/count', { to: 'many' })).json()) as Json;
    expect(bad.error.fields.map((f: Json) => f.path)).toEqual(['to']);
    expect((await api.call('POST', '/plugins/hello-plugin/actions/greet', { who: 'a\u0000b' })).status).toBe(400);
    expect(await jobCount()).toBe(0);
  });

  it('answers 404 for an unknown plugin or action', async () => {
    const unknownAction = await api.call('POST', '/plugins/hello-plugin/actions/wave', { who: 'x' });
    expect(unknownAction.status).toBe(404);
    expect(((await unknownAction.json()) as Json).error.message).toBe('action wave of plugin hello-plugin not found');
    expect((await api.call('POST', '/plugins/nobody/actions/greet', { who: 'x' })).status).toBe(404);
    expect(await jobCount()).toBe(0);
  });

  it('starts a job (202 with its status URL) that succeeds with its entry and result', async () => {
    const started = await start('/plugins/hello-plugin/actions/greet', { who: 'Ada' });
    expect(started.statusUrl).toBe(`/jobs/${started.jobId}`);
    expect(started.workflowId).toBe(actionWorkflowId(started.jobId));
    const job = await ended(started.statusUrl);
    expect(job).toMatchObject({
      id: started.jobId, plugin: 'hello-plugin', action: 'greet', status: 'succeeded', progress: 1, error: null, result: { greeted: 'Ada' }, moreEntries: false,
    });
    expect(job.entries.map((e: Json) => [e.message, e.progress])).toEqual([['hello Ada', 1]]);
    expect(Date.parse(job.finishedAt)).toBeGreaterThanOrEqual(Date.parse(job.startedAt));
    // The token that queued it is recorded.
    const [row] = await queryRows<{ created_by: string | null; params: unknown }>(database.db, sql`select created_by, params from jobs where id = ${started.jobId}`);
    expect(row?.created_by).toMatch(/^[0-9a-f-]{36}$/);
    expect(row?.params).toEqual({ who: 'Ada' });
  });

  it('lists the entries an action wrote, in order, with their progress and data', async () => {
    const { statusUrl } = await start('/plugins/jobs-plugin/actions/count', { to: 4 });
    const job = await ended(statusUrl);
    expect(job.status).toBe('succeeded');
    expect(job.entries.map((e: Json) => [e.message, e.progress, e.data])).toEqual([
      ['step 1 of 4', 0.25, { i: 1 }], ['step 2 of 4', 0.5, { i: 2 }], ['step 3 of 4', 0.75, { i: 3 }], ['step 4 of 4', 1, { i: 4 }],
    ]);
    const ids = job.entries.map((e: Json) => e.id as number);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(job.result).toEqual({ counted: 4 });
    // Paging the log: what follows the second entry.
    const rest = (await (await api.call('GET', `${statusUrl}?entriesAfter=${ids[1]}`)).json()) as Json;
    expect(rest.entries.map((e: Json) => e.message)).toEqual(['step 3 of 4', 'step 4 of 4']);
  });

  it('records a permanent failure once, as one line, without retrying', async () => {
    const { statusUrl, workflowId } = await start('/plugins/jobs-plugin/actions/fail', {});
    const job = await ended(statusUrl);
    expect(job.status).toBe('failed');
    expect(job.error).toBe('the tracker refused the export (HTTP 422)');
    expect(job.entries.map((e: Json) => e.message)).toEqual(['about to fail']);
    expect(job.result).toBeNull();
    await expect(client.workflow.getHandle(workflowId).result()).rejects.toThrow();
  });

  it('retries a transient failure and then succeeds, saying so in its entries', async () => {
    const { statusUrl } = await start('/plugins/jobs-plugin/actions/flaky', {});
    const job = await ended(statusUrl);
    expect(job).toMatchObject({ status: 'succeeded', result: { attempt: 2 }, error: null });
    expect(job.entries.map((e: Json) => e.message)).toEqual(['retrying (attempt 2)']);
  });

  it('cancels a running job: the action sees its signal aborted and the job says cancelled', async () => {
    const { jobId, statusUrl } = await start('/plugins/jobs-plugin/actions/wait', {});
    await eventually(async () => ((await (await api.call('GET', statusUrl)).json()) as Json).entries.length === 1);
    const cancel = await api.call('POST', `/jobs/${jobId}/cancel`);
    expect(cancel.status).toBe(202);
    const job = await ended(statusUrl);
    expect(job.status).toBe('cancelled');
    expect(job.result).toBeNull();
    const again = await api.call('POST', `/jobs/${jobId}/cancel`);
    expect(again.status).toBe(409);
  });

  it('answers 404 for an unknown job and 400 naming id for a malformed one', async () => {
    expect((await api.call('GET', '/jobs/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    const bad = await api.call('GET', '/jobs/not-a-uuid');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as Json).error.fields.map((f: Json) => f.path)).toEqual(['param.id']);
  });

  it('lists jobs newest first, filtered by plugin and status, page by page', async () => {
    const all = (await (await api.call('GET', '/jobs?plugin=jobs-plugin&limit=2')).json()) as Json;
    expect(all.items).toHaveLength(2);
    expect(all.items.every((j: Json) => j.plugin === 'jobs-plugin')).toBe(true);
    const next = (await (await api.call('GET', `/jobs?plugin=jobs-plugin&limit=2&cursor=${all.nextCursor}`)).json()) as Json;
    const seen = [...all.items, ...next.items].map((j: Json) => j.id);
    expect(new Set(seen).size).toBe(4);
    const failed = (await (await api.call('GET', '/jobs?status=failed')).json()) as Json;
    expect(failed.items.map((j: Json) => j.action)).toEqual(['fail']);
    expect((await api.call('GET', '/jobs?cursor=garbage')).status).toBe(400);
  });

  it('refuses a read-only token with 403 and starts nothing', async () => {
    const before = await jobCount();
    const { token } = await createApiToken(database.db, 'dashboard', 'read');
    const res = await api.app.request('/plugins/hello-plugin/actions/greet', {
      method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ who: 'Eve' }),
    });
    expect(res.status).toBe(403);
    expect(((await res.json()) as Json).error.code).toBe('forbidden');
    expect(await jobCount()).toBe(before);
    // A reader may still watch jobs.
    const list = await api.app.request('/jobs', { headers: { authorization: `Bearer ${token}` } });
    expect(list.status).toBe(200);
  });

  it('documents each action in /openapi.json with its params as the request body', async () => {
    const spec = (await (await api.app.request('/openapi.json')).json()) as Json;
    const greet = spec.paths['/plugins/hello-plugin/actions/greet']?.post;
    expect(greet.summary).toBe('Says hello');
    const schema = greet.requestBody.content['application/json'].schema;
    expect(schema.required).toEqual(['who']);
    expect(schema.properties.who.type).toBe('string');
    expect(Object.keys(greet.responses)).toEqual(expect.arrayContaining(['202', '400', '503']));
    expect(Object.keys(spec.paths)).toEqual(expect.arrayContaining(['/plugins/jobs-plugin/actions/count', '/jobs', '/jobs/{id}', '/jobs/{id}/cancel']));
  });

  it('answers 503 when Temporal is unreachable, and leaves the job failed rather than queued', async () => {
    const down = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });
    try {
      const offline = await createTestApi({ database, client: down, taskQueue: worker.taskQueue, limits: { temporalCallMs: apiLimits().temporalCallMs } });
      const res = await offline.call('POST', '/plugins/hello-plugin/actions/greet', { who: 'Bob' });
      expect(res.status).toBe(503);
      expect(((await res.json()) as Json).error.code).toBe('temporal_unavailable');
      const rows = await queryRows<{ status: string; error: string }>(database.db, sql`select status, error from jobs where params->>'who' = 'Bob'`);
      expect(rows).toEqual([{ status: 'failed', error: 'the job could not be started (the workflow service was unavailable)' }]);
    } finally {
      await down.connection.close();
    }
  });
  it("reads a binding's stories and their links on it through ctx.hub, page by page, and no secret", async () => {
    const hub = await hubRows();
    const read = async (body: Json) => {
      const job = await ended((await start('/plugins/jobs-plugin/actions/hub', { bindingId: hub.a.id, ...body })).statusUrl);
      expect(job.status, job.error).toBe('succeeded');
      expect(JSON.stringify(job)).not.toContain('SEALED');
      return job.result as { binding: Json; pages: Json[][]; stories: Record<string, Json | null> };
    };
    const ids = (pages: Json[][]) => pages.flat().map((s) => s.id as string);
    const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : 1);

    const all = await read({ pageSize: 2, storyIds: [hub.deleted.id, hub.elsewhere.id, 'not-an-id'] });
    expect(all.binding).toEqual({ id: hub.a.id, projectId: hub.project.id, connectionId: hub.connection.id, connector: 'github', scope: 'octo/a', state: 'active' });
    // Three live stories in two pages of the asked size, in id order; the deleted one and the other project's are left out.
    expect(all.pages.map((p) => p.length)).toEqual([2, 1]);
    expect(ids(all.pages)).toEqual([hub.linked, hub.onB, hub.pending].sort(byId).map((s) => s.id));
    const linked = all.pages.flat().find((s) => s.id === hub.linked.id);
    expect(linked).toEqual({
      id: hub.linked.id, projectId: hub.project.id, version: 3,
      fields: { title: 'Linked here', description: '', status: 'In progress', closed: false, priority: null, assignee: 'ada', labels: ['ui'], customFields: { Severity: 'high' } },
      createdAt: hub.linked.createdAt.toISOString(), updatedAt: hub.linked.updatedAt.toISOString(), deletedAt: null,
      link: {
        remoteId: '11', remoteKey: 'octo/a#11', remoteUrl: 'https://github.com/octo/a/issues/11', syncedAt: '2026-12-01T10:00:00.000Z',
        remoteUpdatedAt: '2026-12-01T09:59:58Z', remoteVersion: 'v7',
      },
    });
    // A link on another binding is not this binding's; a create still pending has no item yet.
    expect(all.pages.flat().filter((s) => s.id !== hub.linked.id).map((s) => s.link)).toEqual([null, null]);
    // One story by id: a deleted one of the project is there; another project's, or no uuid at all, is null.
    expect(all.stories[hub.deleted.id]).toMatchObject({ fields: { title: 'Deleted' }, deletedAt: hub.deleted.deletedAt!.toISOString(), link: { remoteId: '13' } });
    expect(all.stories[hub.elsewhere.id]).toBeNull();
    expect(all.stories['not-an-id']).toBeNull();

    expect(ids((await read({ linked: true })).pages)).toEqual([hub.linked.id]);
    expect(ids((await read({ linked: false })).pages)).toEqual([hub.onB, hub.pending].sort(byId).map((s) => s.id));
    expect(ids((await read({ includeDeleted: true, linked: true })).pages)).toEqual([hub.linked, hub.deleted].sort(byId).map((s) => s.id));
  }, 60_000);

  it('fails the job for good on an unknown, malformed or deleted binding, and on a bad page size', async () => {
    const hub = await hubRows();
    const failed = async (body: Json) => {
      const job = await ended((await start('/plugins/jobs-plugin/actions/hub', body)).statusUrl);
      expect(job.status).toBe('failed');
      expect(job.entries.map((e: Json) => e.message)).toEqual([]);
      return job.error as string;
    };
    const unknown = '00000000-0000-4000-8000-000000000009';
    expect(await failed({ bindingId: unknown })).toBe(`ctx.hub: no binding "${unknown}"`);
    expect(await failed({ bindingId: 'binding-1' })).toBe('ctx.hub: no binding "binding-1"');
    expect(await failed({ bindingId: hub.gone.id })).toBe(`ctx.hub: no binding "${hub.gone.id}"`);
    expect(await failed({ bindingId: hub.a.id, pageSize: 0 })).toBe('ctx.hub: pageSize must be an integer from 1 to 500, got 0');
  }, 60_000);
});
