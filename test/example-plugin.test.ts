import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../db/tokens';
import { type Tinytracker, startTinytracker } from '../examples/tinytracker/src/server';
import { buildPackages } from '../scripts/build-packages';
import { lockPackages } from './support/packages-lock';
import { processEnv, hubClient, type HubClient } from './support/faults-stack';
import { createTestDatabase, eventually } from './support/harness';
import { freePort, spawnScript, type Spawned } from './support/process';

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const PLUGIN = 'trackbridge-plugin-tinytracker';
const examplePackage = JSON.parse(readFileSync(join(repoRoot, 'examples/tinytracker/package.json'), 'utf8')) as { version: string };

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * Issue 12.6, the proof that a third party can write a plugin: the example is packed with `npm pack`,
 * installed from the tarball with the packed @trackbridge/sdk into a project of its own, and
 * trackbridge's API and worker boot there with TRACKBRIDGE_PLUGINS naming it. Then a project syncs
 * both ways with a TinyTracker, the plugin's hook fires on each push, and its action runs as a job
 * until it succeeds.
 */
describe('the example plugin, packed and installed like a third-party package', { timeout: 300_000 }, () => {
  const work = mkdtempSync(join(tmpdir(), 'tb-example-'));
  const project = join(work, 'host');
  const hookLog = join(work, 'push-log.ndjson');
  const hookLines = (): Json[] => (existsSync(hookLog) ? readFileSync(hookLog, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Json) : []);
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let tiny: Tinytracker;
  let worker: Spawned | undefined;
  let api: Spawned | undefined;
  let hub: HubClient;
  let connectionId: string;

  beforeAll(async () => {
    // The plugin depends on @trackbridge/sdk only: both are packed (the plugin's prepack compiles it
    // against the built SDK) and installed together into a fresh project, so npm takes the SDK from its
    // tarball and never asks the registry for it or for trackbridge.
    const pack = async (dir: string) => {
      const packed = await run('npm', ['pack', '--silent', '--pack-destination', work], { cwd: join(repoRoot, dir) });
      return join(work, packed.stdout.trim().split('\n').at(-1) ?? '');
    };
    const release = await lockPackages();
    let tarballs: string[];
    try {
      await buildPackages();
      tarballs = [await pack('packages/sdk'), await pack('examples/tinytracker')];
    } finally {
      release();
    }
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'tb-example-host', private: true, type: 'module' }));
    await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', ...tarballs], { cwd: project });
    rmSync(join(repoRoot, 'examples/tinytracker/dist'), { recursive: true, force: true });

    database = await createTestDatabase();
    const { token } = await createApiToken(database.db, 'example-plugin');
    tiny = await startTinytracker();
    tiny.seed(3);
    const env = processEnv(database.url, `example-${Math.random().toString(36).slice(2, 8)}`, {
      TRACKBRIDGE_PLUGINS: PLUGIN, OUTBOX_POLL_MS: '500', TINYTRACKER_HOOK_LOG: hookLog,
    });
    const port = await freePort();
    // The scripts come from this checkout; the working directory is the host project, where the plugin resolves.
    worker = spawnScript('scripts/worker.ts', env, { cwd: project });
    api = spawnScript('scripts/api.ts', { ...env, PORT: String(port), HOST: '127.0.0.1' }, { cwd: project });
    await Promise.all([worker.waitFor(/worker running/), api.waitFor(/API listening/)]);
    hub = hubClient(`http://127.0.0.1:${port}`, token);
  });

  afterAll(async () => {
    await api?.stop('SIGINT');
    await worker?.stop('SIGINT');
    await tiny?.close();
    await database?.drop();
    rmSync(work, { recursive: true, force: true });
  });

  it('is listed by GET /plugins with its connector, action and hook', async () => {
    const { items } = await hub.call('GET', '/plugins');
    const plugin = (items as Json[]).find((p) => p.name === PLUGIN);
    expect(plugin).toMatchObject({ name: PLUGIN, version: examplePackage.version, apiVersion: 1, source: PLUGIN, builtin: false, connectors: ['tinytracker'] });
    const { items: connectors } = await hub.call('GET', '/connectors');
    expect((connectors as Json[]).map((c) => c.slug)).toContain('tinytracker');
    expect(plugin?.actions).toEqual([expect.objectContaining({ name: 'stats', path: `/plugins/${PLUGIN}/actions/stats` })]);
    expect(plugin?.hooks).toEqual([{ name: 'push-log', on: 'push.succeeded' }]);
  });

  it('binds a project to a TinyTracker and syncs both ways', async () => {
    const connection = await hub.call('POST', '/connections', { connector: 'tinytracker', name: 'tiny', config: { baseUrl: tiny.url, overlapSeconds: 1 }, secrets: { token: tiny.token } });
    connectionId = connection.id as string;
    const proj = await hub.call('POST', '/projects', { key: 'TINY', name: 'Tiny' });
    const binding = await hub.call('POST', '/bindings', { projectId: proj.id, connectionId: connection.id, scope: 'demo', pullIntervalSeconds: 3600 });

    // The initial sync pulls the seeded items into the hub. Its run ends after the last story lands; a
    // pull asked for before then is refused (409), so wait for the run as its progress page would.
    const { workflowId } = await hub.call('POST', `/bindings/${binding.id}/initial-sync`);
    const run = await eventually(async () => {
      const r = await hub.call('GET', `/runs/${encodeURIComponent(workflowId as string)}`);
      return r.status === 'running' ? undefined : r;
    }, 60_000, 200);
    expect(run.status).toBe('completed');
    const stories = async () => ((await hub.call('GET', `/projects/${proj.id}/stories`)).items as Json[]);
    const pulled = await stories();
    expect(pulled).toHaveLength(3);
    expect(pulled.map((s) => s.title).sort()).toEqual(tiny.items('demo').map((i) => i.title).sort());

    // A hub edit reaches the tracker.
    const story = await hub.call('GET', `/stories/${pulled[0]!.id}`);
    const remoteId = Number((story.links as Json[])[0]?.remoteId);
    expect(tiny.item(remoteId)).toBeDefined();
    await hub.call('PATCH', `/stories/${story.id}`, { version: story.version, title: 'Edited on the hub' });
    await eventually(async () => tiny.item(remoteId)?.title === 'Edited on the hub', 60_000, 200);

    // A remote edit comes back on the next pull.
    tiny.edit(remoteId, { title: 'Edited on TinyTracker', status: 'closed' });
    await hub.call('POST', `/bindings/${binding.id}/pull`);
    const back = await eventually(async () => {
      const s = await hub.call('GET', `/stories/${story.id}`);
      return s.title === 'Edited on TinyTracker' ? s : undefined;
    }, 60_000, 200);
    expect(back).toMatchObject({ status: 'closed', closed: true });
    // One remote item per story: the push updated the item, it did not create another.
    expect(tiny.items('demo')).toHaveLength(3);

    // A story born on the hub is created on the tracker, carrying the I1 marker, and linked.
    const born = await hub.call('POST', `/projects/${proj.id}/stories`, { title: 'Born on the hub', description: 'Hello, tiny' });
    const created = await eventually(async () => tiny.items('demo').find((i) => i.title === 'Born on the hub'), 60_000, 200);
    // The connector keeps its marker in the item's external reference, not in the text a user reads.
    expect(created.description).toBe('Hello, tiny');
    expect(created.ref).toMatch(/^[A-Za-z0-9._:-]+$/);
    await eventually(async () => ((await hub.call('GET', `/stories/${born.id}`)).links as Json[])[0]?.remoteId === String(created.id), 60_000, 200);
    expect(tiny.items('demo')).toHaveLength(4);

    // The plugin's push-log hook ran in the worker on each push: the edit, and the create.
    const lines = await eventually(async () => {
      const l = hookLines();
      return l.some((x) => x.storyId === born.id && x.outcome === 'created') && l.some((x) => x.storyId === story.id && x.outcome === 'updated') ? l : undefined;
    }, 60_000, 200);
    expect(lines.find((x) => x.storyId === born.id)).toMatchObject({ point: 'push.succeeded', bindingId: binding.id, remoteId: String(created.id), firingId: expect.any(String) });
    expect(lines.find((x) => x.storyId === story.id && x.outcome === 'updated')?.fields).toContain('title');
  });

  it('runs the stats action as a job until it succeeds, reading the tracker through ctx.connection', async () => {
    const started = await hub.call('POST', `/plugins/${PLUGIN}/actions/stats`, { connectionId, project: 'demo' });
    expect(started.statusUrl).toBe(`/jobs/${started.jobId}`);
    const job = await eventually(async () => {
      const j = await hub.call('GET', started.statusUrl as string);
      if (j.status === 'failed' || j.status === 'cancelled') throw new Error(`job ${j.status}: ${j.error}`);
      return j.status === 'succeeded' ? j : undefined;
    }, 60_000, 200);
    expect(job.result).toEqual({ total: 4, counts: { open: 3, closed: 1 } });
    expect(job.progress).toBe(1);
    expect((job.entries as Json[]).map((e) => e.message)).toContain('counted');
    // The worker opened the connection with its sealed secrets: the token is nowhere in the job.
    expect(JSON.stringify(job)).not.toContain(tiny.token);
  });

  it('fails the job for good when ctx.connection is given an unknown connection', async () => {
    const started = await hub.call('POST', `/plugins/${PLUGIN}/actions/stats`, { connectionId: '00000000-0000-4000-8000-000000000000', project: 'demo' });
    const job = await eventually(async () => {
      const j = await hub.call('GET', started.statusUrl as string);
      return j.status === 'failed' ? j : undefined;
    }, 60_000, 200);
    expect(job.error).toMatch(/no connection 00000000-0000-4000-8000-000000000000/);
  });

  it('rejects the action without its params (400 naming the field)', async () => {
    await expect(hub.call('POST', `/plugins/${PLUGIN}/actions/stats`, {})).rejects.toThrow(/400.*connectionId/);
  });
});
