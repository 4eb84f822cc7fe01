import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { queryRows } from '../db/client';
import { connectTestClient, createTestApi, createTestDatabase, eventually } from './support/harness';
import { spawnScript, type Spawned } from './support/process';
import { createProject, ensureRedmine, getIssue, listAllIssues, type Redmine } from './support/redmine';

/** I1: a worker killed between the remote create and the link write leaves exactly one remote issue. */
describe('crash between the remote create and the link write (real Redmine, real worker process)', { timeout: 240_000 }, () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let client: Awaited<ReturnType<typeof connectTestClient>>;
  let redmine: Redmine;
  const workers: Spawned[] = [];
  const taskQueue = `crash-create-${Math.random().toString(36).slice(2, 8)}`;

  const startWorker = async (hooks: string) => {
    const proc = spawnScript('scripts/worker.ts', {
      NODE_ENV: 'test', TRACKBRIDGE_TEST_HOOKS: hooks, DATABASE_URL: database.url, TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_TASK_QUEUE: taskQueue, TRACKBRIDGE_SECRET_KEY: Buffer.alloc(32, 7).toString('base64'), LOG_FORMAT: 'json', OUTBOX_POLL_MS: '200',
    });
    workers.push(proc);
    await proc.waitFor(/worker running/);
    return proc;
  };

  /** A hub project bound to a fresh Redmine project, through the API. */
  const bindRedmine = async (key: string) => {
    const project = (await createProject(redmine)).identifier;
    const api = await createTestApi({ database, client, taskQueue });
    const post = async (path: string, body?: unknown) => (await (await api.call('POST', path, body)).json()) as Record<string, string>;
    const hubProject = await post('/projects', { key, name: key });
    const connection = await post('/connections', { connector: 'redmine', name: 'rm', config: { baseUrl: redmine.url }, secrets: { apiKey: redmine.apiKey } });
    // The scope is checked on the remote through a workflow, so a worker must already be running.
    const binding = await post('/bindings', { projectId: hubProject.id, connectionId: connection.id, scope: project, pullIntervalSeconds: 3600 });
    expect(binding.id, JSON.stringify(binding)).toBeDefined();
    return { project, api, post, hubProject };
  };

  beforeAll(async () => {
    redmine = await ensureRedmine();
    database = await createTestDatabase();
    client = await connectTestClient();
  });
  afterAll(async () => {
    for (const w of workers) await w.stop('SIGKILL');
    await client?.close();
    await database?.drop();
  });

  it('adopts the issue it created instead of creating a second one', async () => {
    const doomed = await startWorker('crash-after-remote-create');
    const { project, api, post, hubProject } = await bindRedmine('CRASHC');
    const story = await post(`/projects/${hubProject.id}/stories`, { title: 'Created right before a crash' });
    expect(await doomed.exited).not.toBe(0);

    const afterCrash = await listAllIssues(redmine, { project });
    expect(afterCrash).toHaveLength(1);
    const [pending] = await queryRows<{ remote_id: string | null }>(database.db, sql`select remote_id from external_links where story_id = ${story.id}`);
    expect(pending).toEqual({ remote_id: null });

    await startWorker('');
    const linked = await eventually(async () => {
      const [row] = await queryRows<{ remote_id: string | null }>(database.db, sql`select remote_id from external_links where story_id = ${story.id}`);
      return row?.remote_id ?? undefined;
    }, 120_000, 250);
    const final = await listAllIssues(redmine, { project });
    expect(final).toHaveLength(1);
    expect(String(final[0]!.id)).toBe(linked);
    expect(final[0]!.subject).toBe('Created right before a crash');
    const history = (await (await api.call('GET', `/stories/${story.id}/pushes`)).json()) as { items: { operation: string }[] };
    expect(history.items.map((h) => h.operation)).toEqual(['adopt']);
  });

  it('posts a hub comment once even when the worker dies between posting it and recording it', async () => {
    for (const w of workers.splice(0)) await w.stop('SIGKILL');
    const doomed = await startWorker('crash-after-remote-comment');
    const { post, hubProject } = await bindRedmine('CRASHN');
    const story = await post(`/projects/${hubProject.id}/stories`, { title: 'Commented right before a crash' });
    const issueId = await eventually(async () => {
      const [row] = await queryRows<{ remote_id: string | null }>(database.db, sql`select remote_id from external_links where story_id = ${story.id}`);
      return row?.remote_id ?? undefined;
    }, 60_000, 250);
    await post(`/stories/${story.id}/comments`, { body: 'Posted once, whatever happens' });
    expect(await doomed.exited).not.toBe(0);
    const notes = async () => ((await getIssue(redmine, Number(issueId), { include: 'journals' })).journals ?? []).filter((j) => j.notes === 'Posted once, whatever happens');
    expect(await notes()).toHaveLength(1);

    await startWorker('');
    const linked = await eventually(async () => {
      const [row] = await queryRows<{ remote_comment_id: string | null }>(database.db, sql`select remote_comment_id from comment_links cl join comments c on c.id = cl.comment_id where c.story_id = ${story.id}`);
      return row?.remote_comment_id ?? undefined;
    }, 120_000, 250);
    const final = await notes();
    expect(final).toHaveLength(1);
    expect(String(final[0]!.id)).toBe(linked);
  });
});
