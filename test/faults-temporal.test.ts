import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createApiToken } from '../db/tokens';
import { startGitHubDouble, type GitHubDouble } from './support/github-double';
import { createTestDatabase, eventually } from './support/harness';
import type { Spawned } from './support/process';
import { startTcpProxy, type TcpProxy } from './support/faults-proxy';
import { assertAlive, hubClient, processEnv, startApiProcess, type ApiProcess } from './support/faults-stack';
import { spawnScript } from './support/process';

const REPO = 'octo/temporal';

type LogLine = { time: number; msg: string };
const logLines = (proc: Spawned): LogLine[] =>
  proc.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as LogLine);

/**
 * F1 for Temporal: a worker started while Temporal is away waits for it instead of exiting, and a
 * Temporal outage mid-run (every connection cut, the port closed) delays edits without losing them.
 * Temporal is reached through a TCP proxy the test cuts and restores; the dev server itself keeps
 * running for the other test files.
 */
describe('Temporal away at start and mid-run (a cut TCP proxy; real API and worker processes, GitHub double)', { timeout: 180_000 }, () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let gh: GitHubDouble;
  let proxy: TcpProxy;
  let worker: Spawned;
  let api: ApiProcess;
  let env: Record<string, string>;

  beforeAll(async () => {
    database = await createTestDatabase();
    gh = await startGitHubDouble({ latencyMs: 10 });
    gh.createRepo(REPO);
    proxy = await startTcpProxy(inject('temporalAddress'), { open: false });
    env = processEnv(database.url, `temporal-${Math.random().toString(36).slice(2, 8)}`, { TEMPORAL_ADDRESS: proxy.address });
  });
  afterAll(async () => {
    await worker?.stop('SIGKILL');
    await api?.proc.stop('SIGKILL');
    await proxy?.close();
    await gh?.close();
    await database?.drop();
  });

  it('a worker started before Temporal waits for it, then runs', async () => {
    const startedAt = Date.now();
    worker = spawnScript('scripts/worker.ts', env);
    await eventually(async () => assertAlive(worker) && logLines(worker).some((l) => l.msg === 'Temporal unreachable at start; waiting for it'), 60_000, 100);
    await proxy.open();
    await worker.waitFor(/worker running/, 60_000);
    console.info(`[measure] worker waited for Temporal and ran ${Date.now() - startedAt} ms after its start`);
  });

  it('edits made while Temporal is away are delivered once it is back; nothing exits', async () => {
    const { token } = await createApiToken(database.db, 'faults');
    api = await startApiProcess(env, token);
    const hub = hubClient(api.url, token);
    const project = await hub.call('POST', '/projects', { key: 'TEMP', name: 'Temporal' });
    const connection = await hub.call('POST', '/connections', { connector: 'github', name: 'gh', config: { baseUrl: gh.url, maxRequestsPerSecond: 100 }, secrets: { token: gh.token } });
    await hub.call('POST', '/bindings', { projectId: project.id, connectionId: connection.id, scope: REPO, pullIntervalSeconds: 3600 });
    const story = await hub.call('POST', `/projects/${project.id}/stories`, { title: 'before' });
    await eventually(async () => gh.listIssues(REPO, { state: 'all' }).some((i) => i.title === 'before'), 60_000, 100);

    const cutAt = Date.now();
    await proxy.cut();
    // The hub still takes edits (they wait in the outbox); the relay says it cannot reach Temporal.
    await hub.setTitle(story.id as string, 'during the outage');
    await eventually(async () => assertAlive(worker, api.proc) && logLines(worker).some((l) => l.msg === 'outbox relay failed; retrying' && l.time >= cutAt), 60_000, 100);
    const health = await (await fetch(`${api.url}/health`)).json() as { status: string; temporal: { ok: boolean } };
    await proxy.open();
    const reopenedAt = Date.now();
    await eventually(async () => assertAlive(worker, api.proc) && gh.listIssues(REPO, { state: 'all' }).some((i) => i.title === 'during the outage'), 90_000, 100);
    console.info(`[measure] Temporal cut for ${reopenedAt - cutAt} ms; the edit made during it reached GitHub ${Date.now() - reopenedAt} ms after Temporal came back`);
    expect(health).toMatchObject({ status: 'degraded', temporal: { ok: false } });
    // The relay's failure says what failed and how it is classified, never `{}`.
    const relayFailed = logLines(worker).find((l) => l.msg === 'outbox relay failed; retrying' && l.time >= cutAt) as LogLine & { err?: unknown };
    expect(relayFailed?.err).toMatchObject({ type: expect.any(String), message: expect.stringMatching(/\S/), classification: 'transient' });
    expect(worker.output()).not.toContain('"err":{}');
    expect(gh.listIssues(REPO, { state: 'all' })).toHaveLength(1);
  });
});
