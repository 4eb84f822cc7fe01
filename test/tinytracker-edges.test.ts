import { fileURLToPath } from 'node:url';
import { serve, type ServerType } from '@hono/node-server';
import { eq, sql } from 'drizzle-orm';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connect } from '../connectors/connect';
import { queryRows } from '../db/client';
import { bindings } from '../db/schema';
import { installPlugin } from '../plugins/registry';
import { applyRemotePage } from '../sync/pull';
import tinytrackerPlugin from '../examples/tinytracker/src/index';
import { tinytracker } from '../examples/tinytracker/src/connector';
import { startTinytracker, type Tinytracker } from '../examples/tinytracker/src/server';
import { connectTestClient, createTestApi, createTestDatabase, eventually } from './support/harness';
import { spawnScript, type Spawned } from './support/process';
import { pushStatusQuery, pushWorkflowId } from '../workflows/contract';

const PLUGIN_ENTRY = fileURLToPath(new URL('../examples/tinytracker/src/index.ts', import.meta.url));

/**
 * Issue 25.2: a connector owns its edges. The tinytracker example plugin declares its webhooks (its own
 * header and signature) and keeps its create marker in its own place (the item's external reference,
 * not its text), and the platform serves both with no code that names it: a signed delivery from the
 * tracker reaches `/webhooks/tinytracker/<connection>` and fetches the item, and a create that died
 * before its link was stored is adopted by that marker, never duplicated.
 */
describe('a plugin connector brings its own webhooks and marker (tinytracker)', { timeout: 240_000 }, () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let client: Awaited<ReturnType<typeof connectTestClient>>;
  let api: Awaited<ReturnType<typeof createTestApi>>;
  let tiny: Tinytracker;
  let server: ServerType | undefined;
  let base: string;
  const workers: Spawned[] = [];
  const taskQueue = `tiny-edges-${Math.random().toString(36).slice(2, 8)}`;
  const ids: Record<string, string> = {};
  /** The worker that dies right after the remote create: it also serves the binding's scope check. */
  let doomed: Spawned;

  const post = async (path: string, body?: unknown, status = [200, 201, 202]) => {
    const res = await api.call('POST', path, body);
    const json = (await res.json()) as Record<string, string>;
    expect(status, JSON.stringify(json)).toContain(res.status);
    return json;
  };
  const startWorker = async (hooks: string) => {
    const proc = spawnScript('scripts/worker.ts', {
      NODE_ENV: 'test', TRACKBRIDGE_TEST_HOOKS: hooks, DATABASE_URL: database.url, TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_TASK_QUEUE: taskQueue, TRACKBRIDGE_SECRET_KEY: Buffer.alloc(32, 7).toString('base64'), LOG_FORMAT: 'json', OUTBOX_POLL_MS: '200',
      TRACKBRIDGE_PLUGINS: PLUGIN_ENTRY, TRACKBRIDGE_PLUGINS_TS: 'true',
    });
    workers.push(proc);
    await proc.waitFor(/worker running/);
    return proc;
  };
  const linkOf = async (storyId: string) =>
    (await queryRows<{ remote_id: string | null }>(database.db, sql`select remote_id from external_links where story_id = ${storyId}`))[0]?.remote_id ?? null;

  beforeAll(async () => {
    database = await createTestDatabase();
    client = await connectTestClient();
    // The API process loads the plugin as the worker does (TRACKBRIDGE_PLUGINS); here, in this process.
    installPlugin(tinytrackerPlugin, PLUGIN_ENTRY);
    api = await createTestApi({ database, client, taskQueue });
    const port = await new Promise<number>((resolve) => {
      server = serve({ fetch: api.app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => resolve(info.port));
    });
    base = `http://127.0.0.1:${port}`;
    tiny = await startTinytracker();
    doomed = await startWorker('crash-after-remote-create');
    const project = await post('/projects', { key: 'TINYE', name: 'Tiny edges' });
    const connection = await post('/connections', { connector: 'tinytracker', name: 'tiny', config: { baseUrl: tiny.url, overlapSeconds: 1 }, secrets: { token: tiny.token } });
    const binding = await post('/bindings', { projectId: project.id, connectionId: connection.id, scope: 'demo', pullIntervalSeconds: 3600 });
    Object.assign(ids, { project: project.id, connection: connection.id, binding: binding.id });
  });
  afterAll(async () => {
    for (const w of workers) await w.stop('SIGKILL');
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await tiny?.close();
    await client?.close();
    await database?.drop();
  });

  it('adopts a create that died before its link was stored, by the marker the connector keeps in the item\'s reference', async () => {
    const story = await post(`/projects/${ids.project}/stories`, { title: 'Created right before a crash', description: 'No marker in here' });
    expect(await doomed.exited).not.toBe(0);
    const [made] = tiny.items('demo');
    expect(tiny.items('demo')).toHaveLength(1);
    // The marker is in the reference, not in the text a user reads.
    expect(made).toMatchObject({ description: 'No marker in here', ref: expect.stringMatching(/^[A-Za-z0-9._:-]+$/) });
    expect(await linkOf(story.id!)).toBeNull();

    // A pull lists the item first: it is adopted by `RemoteItem.marker`, not imported as a second story.
    const reader = connect(tinytracker, { config: { baseUrl: tiny.url }, secrets: { token: tiny.token }, logger: pino({ level: 'silent' }) });
    const item = await reader.getItem('demo', String(made!.id));
    expect(item?.marker).toBe(made!.ref);
    const [binding] = await database.db.select().from(bindings).where(eq(bindings.id, ids.binding!));
    const applied = await applyRemotePage(database.db, binding!, [item!], { full: false, listedAt: new Date() });
    expect(applied.counts.created).toBe(0);
    expect(await linkOf(story.id!)).toBe(String(made!.id));

    // The push's retry, in a healthy worker, finds its create done: still one item, one story.
    await startWorker('');
    // Its push settles: the activity that died is retried on this worker, and nothing is left pending.
    const push = client.workflow.getHandle(pushWorkflowId(ids.binding!, story.id!));
    await eventually(async () => (await push.query(pushStatusQuery)).pendingEventId === null && !(await push.describe()).raw.pendingActivities?.length, 120_000, 250);
    expect(tiny.items('demo')).toHaveLength(1);
    const stories = (await (await api.call('GET', `/projects/${ids.project}/stories`)).json()) as { items: unknown[] };
    expect(stories.items).toHaveLength(1);
  });

  it('takes a signed tinytracker webhook at its own path and fetches the item; a forged one is refused', async () => {
    const generated = await post(`/connections/${ids.connection}/webhook-secret`) as unknown as { webhookSecret: string; urls: Record<string, string> };
    expect(Object.keys(generated.urls).sort()).toEqual(['poke', 'tinytracker']);
    expect(generated.urls.tinytracker).toBe(`/webhooks/tinytracker/${ids.connection}`);

    // A forged delivery: 401, nothing fetched.
    tiny.setWebhook(`${base}${generated.urls.tinytracker}`, 'not the secret');
    const [seeded] = tiny.seed(1);
    expect(await tiny.settleWebhooks()).toContain(401);

    // Signed with the connection's secret: the item is fetched through the pull path and lands in the hub.
    tiny.setWebhook(`${base}${generated.urls.tinytracker}`, generated.webhookSecret);
    tiny.edit(seeded!, { title: 'Told by a webhook' });
    expect((await tiny.settleWebhooks()).at(-1)).toBe(202);
    const landed = await eventually(async () => {
      const { items } = (await (await api.call('GET', `/projects/${ids.project}/stories`)).json()) as { items: Array<{ title: string }> };
      return items.find((s) => s.title === 'Told by a webhook');
    }, 60_000, 250);
    expect(landed).toBeDefined();
    const spec = (await (await api.call('GET', '/openapi.json')).json()) as { paths: Record<string, { post?: { summary?: string } }> };
    expect(spec.paths['/webhooks/tinytracker/{connection}']?.post?.summary).toMatch(/x-tinytracker-signature/);
  });
});
