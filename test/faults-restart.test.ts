import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../db/client';
import { createApiToken } from '../db/tokens';
import { startGitHubDouble, type GitHubDouble } from './support/github-double';
import { eventually } from './support/harness';
import type { Spawned } from './support/process';
import { startPrivateCluster, type PrivateCluster } from './support/faults-cluster';
import { assertAlive, processEnv, startApiProcess, startWorkerProcess, type ApiProcess } from './support/faults-stack';

const REPO = 'octo/restart';

type LogLine = { time: number; msg: string };
const logLines = (proc: Spawned): LogLine[] =>
  proc.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as LogLine);

/**
 * F1: a Postgres restart in the middle of a run is recovered with no manual step, by the API and by
 * the worker. The server restarted is a private throwaway cluster, so the test files sharing the
 * common Postgres are not disturbed.
 */
describe('a Postgres restart mid-run (private cluster; real API and worker processes, GitHub double)', { timeout: 180_000 }, () => {
  let cluster: PrivateCluster;
  let database: Database;
  let gh: GitHubDouble;
  let worker: Spawned;
  let api: ApiProcess;

  beforeAll(async () => {
    cluster = await startPrivateCluster();
    const name = `tb_fault_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: cluster.adminUrl });
    await admin.connect();
    await admin.query(`create database ${name}`);
    await admin.end();
    database = await openDatabase({ url: cluster.urlFor(name), dataDir: '.data', poolSize: 2 });
    await database.migrate();
    const { token } = await createApiToken(database.db, 'faults');
    // Slow remote calls: pushes are holding their locks (idle, checked-out connections) when the server stops.
    gh = await startGitHubDouble({ latencyMs: 150 });
    gh.createRepo(REPO);
    // A 30 s poll: only a LISTEN that came back after the restart relays the edits made after it promptly.
    const env = processEnv(cluster.urlFor(name), `restart-${randomBytes(3).toString('hex')}`, { OUTBOX_POLL_MS: '30000' });
    [worker, api] = await Promise.all([startWorkerProcess(env), startApiProcess(env, token)]);
  });
  afterAll(async () => {
    await worker?.stop('SIGKILL');
    await api?.proc.stop('SIGKILL');
    await gh?.close();
    await database?.close();
    await cluster?.destroy();
  });

  const titles = () => gh.listIssues(REPO, { state: 'all' }).map((i) => i.title).sort();

  it('API and worker carry on after the restart, and edits made after it are delivered', async () => {
    const { hub } = api;
    const project = await hub.call('POST', '/projects', { key: 'RESTART', name: 'Restart' });
    const connection = await hub.call('POST', '/connections', { connector: 'github', name: 'gh', config: { baseUrl: gh.url, maxRequestsPerSecond: 100 }, secrets: { token: gh.token } });
    await hub.call('POST', '/bindings', { projectId: project.id, connectionId: connection.id, scope: REPO, pullIntervalSeconds: 3600 });
    const stories = [];
    for (const title of ['a before', 'b before']) stories.push((await hub.call('POST', `/projects/${project.id}/stories`, { title })).id as string);
    await eventually(async () => titles().join() === 'a before,b before', 60_000, 100);

    // Edits keep flowing through the restart (the client retries what fails during the outage).
    let editing = true;
    let version = 0;
    const editor = (async () => {
      while (editing) await hub.setTitle(stories[1]!, `b v${++version}`);
    })().then(() => undefined, (err: unknown) => err);
    await eventually(async () => titles().some((t) => t.startsWith('b v')), 30_000, 20);

    const stoppedAt = Date.now();
    await cluster.stop();
    // Both processes notice: the API's /health names the database, the worker's LISTEN is retrying.
    const down = await eventually(async () => {
      assertAlive(worker, api.proc);
      const res = await fetch(`${api.url}/health`);
      const body = (await res.json()) as { database: { ok: boolean } };
      return !body.database.ok ? { status: res.status, body } : undefined;
    }, 30_000, 100);
    await eventually(async () => assertAlive(worker, api.proc) && logLines(worker).some((l) => l.msg === 'LISTEN reconnect failed; retrying' && l.time >= stoppedAt), 30_000, 100);
    const duringOutage = await fetch(`${api.url}/projects/${project.id}/stories`, {
      method: 'POST', headers: { authorization: `Bearer ${api.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ title: 'during the outage' }),
    });
    // Taken before the start: the worker's LISTEN may be back before pg_ctl returns.
    const restartedAt = Date.now();
    await cluster.start();

    // No manual step: the same processes take edits again and deliver them.
    await hub.setTitle(stories[0]!, 'a after');
    stories.push((await hub.call('POST', `/projects/${project.id}/stories`, { title: 'c after' })).id as string);
    const atRestart = version;
    await eventually(async () => assertAlive(worker, api.proc) && version >= atRestart + 3, 60_000, 50);
    editing = false;
    expect(await editor).toBeUndefined();
    await eventually(async () => titles().join() === ['a after', `b v${version}`, 'c after'].join(), 60_000, 100)
      .catch(() => { throw new Error(`GitHub holds ${JSON.stringify(titles())}; the hub's last edit is b v${version}`); });
    const back = logLines(worker).find((l) => l.msg === 'LISTEN re-established' && l.time >= restartedAt);
    const health = await eventually(async () => {
      const res = await fetch(`${api.url}/health`);
      return res.status === 200 ? res.json() : undefined;
    }, 30_000, 200);

    console.info(`[measure] outage: /health ${down.status}, a write during it answered ${duringOutage.status}; `
      + `LISTEN back ${back ? back.time - restartedAt : '?'} ms after the restart; edits after it delivered; failed-and-retried API calls: ${hub.failures.length}`);
    expect(down.status).toBe(503);
    expect(back).toBeDefined();
    expect(health).toMatchObject({ status: 'ok', database: { ok: true } });
    expect(titles()).toEqual(['a after', `b v${version}`, 'c after']);
    expect(worker.child.exitCode).toBeNull();
    expect(api.proc.child.exitCode).toBeNull();
  });
});
