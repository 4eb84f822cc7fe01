import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { queryRows } from '../db/client';
import { connectTestClient, createTestApi, createTestDatabase, eventually } from './support/harness';
import { startJiraDouble, type JiraDouble } from './support/jira-double';
import { spawnScript, type Spawned } from './support/process';

/**
 * I1 on Jira as it really is: no JQL index on the marker property (a REST client cannot declare one) and
 * a search that lags writes by 30 s. A worker killed between the remote create and the link write leaves
 * exactly one issue, which the next worker adopts.
 */
describe.each(['cloud', 'datacenter'] as const)('Jira %s: crash between the remote create and the link write', { timeout: 240_000 }, (deployment) => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let client: Awaited<ReturnType<typeof connectTestClient>>;
  let jira: JiraDouble;
  const workers: Spawned[] = [];
  const taskQueue = `jira-crash-${deployment}-${Math.random().toString(36).slice(2, 8)}`;

  const startWorker = async (hooks: string) => {
    const proc = spawnScript('scripts/worker.ts', {
      NODE_ENV: 'test', TRACKBRIDGE_TEST_HOOKS: hooks, DATABASE_URL: database.url, TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_TASK_QUEUE: taskQueue, TRACKBRIDGE_SECRET_KEY: Buffer.alloc(32, 7).toString('base64'), LOG_FORMAT: 'json', OUTBOX_POLL_MS: '200',
    });
    workers.push(proc);
    await proc.waitFor(/worker running/);
    return proc;
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    client = await connectTestClient();
    // Real time: the worker's clock and the double's agree, as they would with a real Jira.
    jira = await startJiraDouble({ deployment, searchLagMs: 30_000 });
    jira.createProject('WEB');
  });
  afterAll(async () => {
    for (const w of workers) await w.stop('SIGKILL');
    await jira?.close();
    await client?.close();
    await database?.drop();
  });

  it('adopts the issue it created, found without property search while search does not show it', async () => {
    const doomed = await startWorker('crash-after-remote-create');
    const api = await createTestApi({ database, client, taskQueue });
    const post = async (path: string, body?: unknown) => (await (await api.call('POST', path, body)).json()) as Record<string, string>;
    const hubProject = await post('/projects', { key: 'JCRASH', name: 'Jira crash' });
    const connection = await post('/connections', { connector: 'jira', name: 'jira', config: { baseUrl: jira.url, deployment, overlapSeconds: 5 }, secrets: jira.secrets });
    const binding = await post('/bindings', { projectId: hubProject.id, connectionId: connection.id, scope: 'WEB', pullIntervalSeconds: 3600 });
    expect(binding.id, JSON.stringify(binding)).toBeDefined();
    const story = await post(`/projects/${hubProject.id}/stories`, { title: 'Created right before a crash' });
    expect(await doomed.exited).not.toBe(0);

    expect(jira.issuesOf('WEB')).toHaveLength(1);
    const [pending] = await queryRows<{ remote_id: string | null }>(database.db, sql`select remote_id from external_links where story_id = ${story.id}`);
    expect(pending).toEqual({ remote_id: null });

    await startWorker('');
    const linked = await eventually(async () => {
      const [row] = await queryRows<{ remote_id: string | null }>(database.db, sql`select remote_id from external_links where story_id = ${story.id}`);
      return row?.remote_id ?? undefined;
    }, 120_000, 250);
    const final = jira.issuesOf('WEB');
    expect(final.map((i) => [i.id, i.summary])).toEqual([[linked, 'Created right before a crash']]);
    const history = (await (await api.call('GET', `/stories/${story.id}/pushes`)).json()) as { items: { operation: string }[] };
    expect(history.items.map((h) => h.operation)).toEqual(['adopt']);
    expect(jira.requests({ status: 400 })).toEqual([]);
  });
});
