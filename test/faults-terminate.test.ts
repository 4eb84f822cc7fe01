import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../db/client';
import { createApiToken } from '../db/tokens';
import { startGitHubDouble, type GitHubDouble } from './support/github-double';
import { createTestDatabase, eventually } from './support/harness';
import type { Spawned } from './support/process';
import { terminateBackends } from './support/faults-postgres';
import { processEnv, startApiProcess, startWorkerProcess, type ApiProcess } from './support/faults-stack';

const REPO = 'octo/faults';
const STORIES = 10;
const EDITS = 8;
/** Polling this slow cannot pass for LISTEN: a fast relay after a termination proves the LISTEN came back. */
const POLL_MS = 30_000;

type LogLine = { time: number; msg: string; [key: string]: unknown };
const logLines = (proc: Spawned): LogLine[] =>
  proc.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as LogLine);

/**
 * F1, observed in issue 10: three rounds of pg_terminate_backend over every connection of the
 * database while about 10 edits a second flow killed the worker (an unhandled 'error' on a lock's
 * connection), and the LISTEN never came back (relay latency went from 0.1 s to the poll interval).
 */
describe('every backend of the database terminated three times while edits flow (real API and worker processes, GitHub double)', { timeout: 180_000 }, () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let gh: GitHubDouble;
  let worker: Spawned;
  let api: ApiProcess;
  let projectId: string;
  const taskQueue = `faults-${Math.random().toString(36).slice(2, 8)}`;

  beforeAll(async () => {
    database = await createTestDatabase();
    // Each remote call takes a while, so pushes hold their locks (idle connections) when the backends go.
    gh = await startGitHubDouble({ latencyMs: 80 });
    gh.createRepo(REPO);
    const { token } = await createApiToken(database.db, 'faults');
    const env = processEnv(database.url, taskQueue, { OUTBOX_POLL_MS: String(POLL_MS) });
    [worker, api] = await Promise.all([startWorkerProcess(env), startApiProcess(env, token)]);
    const project = await api.hub.call('POST', '/projects', { key: 'FAULT', name: 'Faults' });
    const connection = await api.hub.call('POST', '/connections', { connector: 'github', name: 'gh', config: { baseUrl: gh.url, maxRequestsPerSecond: 100 }, secrets: { token: gh.token } });
    await api.hub.call('POST', '/bindings', { projectId: project.id, connectionId: connection.id, scope: REPO, pullIntervalSeconds: 3600 });
    projectId = project.id as string;
  });
  afterAll(async () => {
    await worker?.stop('SIGKILL');
    await api?.proc.stop('SIGKILL');
    await gh?.close();
    await database?.drop();
  });

  const unrelayed = async () => (await queryRows<{ n: number }>(database.db, sql`select count(*)::int as n from outbox_pending`))[0]!.n;

  it('the worker and the API survive, every outbox event is relayed and delivered, and LISTEN is back within 5 s', async () => {
    const { hub } = api;
    const stories: string[] = [];
    for (let i = 0; i < STORIES; i++) stories.push((await hub.call('POST', `/projects/${projectId}/stories`, { title: `s${i} v0` })).id as string);

    // About 10 edits a second; the backends go after a quarter, half and three quarters of them.
    let edited = 0;
    const editing = Promise.all(stories.map(async (id, i) => {
      for (let v = 1; v <= EDITS; v++) {
        const started = Date.now();
        await hub.setTitle(id, `s${i} v${v}`);
        edited++;
        // Fixed sleep, kept: it sets the load (each story edited once a second, ~10 edits/s, issue 10's
        // observation) so edits keep flowing across the three terminations; the rate is the point, and
        // no event says an edit is due (pacing by the relay or the push would stall on the faults themselves).
        await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (Date.now() - started))));
      }
    }));
    const terminations: { at: number; pids: number }[] = [];
    for (const share of [0.25, 0.5, 0.75]) {
      await eventually(async () => edited >= share * STORIES * EDITS, 60_000, 20);
      terminations.push({ at: Date.now(), pids: (await terminateBackends(database.url)).length });
    }
    await editing;
    const lastTermination = terminations.at(-1)!.at;
    for (const proc of [worker, api.proc]) {
      expect(proc.child.exitCode, `a process exited:\n${proc.output().split('\n').filter((l) => !l.startsWith('{')).join('\n').slice(-1500)}`).toBeNull();
    }

    // LISTEN: the worker says it is back, within 5 s of the last termination.
    const back = await eventually(async () => logLines(worker).find((l) => l.msg === 'LISTEN re-established' && l.time >= lastTermination), 10_000, 50);
    // Everything committed reaches Temporal and GitHub: nothing lost, nothing twice.
    await eventually(async () => (await unrelayed()) === 0, 60_000, 200);
    await eventually(async () => {
      const titles = gh.listIssues(REPO, { state: 'all' }).map((i) => i.title).filter((t) => /^s\d+ /.test(t)).sort();
      return titles.length === STORIES && titles.every((t, i) => t === `s${i} v${EDITS}`);
    }, 90_000, 250).catch(() => { throw new Error(`GitHub holds ${JSON.stringify(gh.listIssues(REPO, { state: 'all' }).map((i) => i.title))}`); });

    // The relay is woken by LISTEN again, not by the 30 s poll: one more edit is relayed at once.
    await hub.setTitle(stories[0]!, 's0 after');
    // The event's age when it was seen to leave the pending queue (to within one 20 ms poll).
    const latency = await eventually(async () => {
      const [row] = await queryRows<{ ms: number; relayed: boolean }>(database.db, sql`
        select extract(epoch from (clock_timestamp() - e.time)) * 1000 as ms, p.event_id is null as relayed
        from outbox_events e left join outbox_pending p on p.event_id = e.id where e.story_id = ${stories[0]!} order by e.id desc limit 1`);
      return row?.relayed ? Number(row.ms) : undefined;
    }, POLL_MS, 20);
    await eventually(async () => gh.listIssues(REPO, { state: 'all' }).some((i) => i.title === 's0 after'), 30_000, 100);

    const events = (await queryRows<{ n: number }>(database.db, sql`select count(*)::int as n from outbox_events`))[0]!.n;
    console.info(`[measure] terminated ${terminations.map((t) => t.pids).join('/')} backends; ${events} outbox events, all relayed; `
      + `LISTEN back ${back.time - lastTermination} ms after the last termination; relay latency then ${Math.round(latency)} ms; `
      + `API requests that failed and were retried: ${hub.failures.length}`);
    expect(terminations.every((t) => t.pids > 0)).toBe(true);
    expect(back.time - lastTermination).toBeLessThan(5_000);
    expect(latency).toBeLessThan(2_000);
    expect(worker.child.exitCode).toBeNull();
    expect(api.proc.child.exitCode).toBeNull();
    expect(gh.listIssues(REPO, { state: 'all' }).filter((i) => /^s\d+ /.test(i.title))).toHaveLength(STORIES);
  });

  it('an activity failure is logged with its class, message, classification and the remote status, never as error: {} nor with a secret', async () => {
    const { hub } = api;
    const story = await hub.call('POST', `/projects/${projectId}/stories`, { title: 'logged' });
    await eventually(async () => gh.listIssues(REPO, { state: 'all' }).some((i) => i.title === 'logged'), 60_000, 100);
    // The HTTP client retries an idempotent PATCH three times in-process; the fourth 502 fails the activity.
    const fault = gh.failNext(4, 502, { method: 'PATCH' });
    await hub.setTitle(story.id as string, 'after a 502');
    await eventually(async () => gh.listIssues(REPO, { state: 'all' }).some((i) => i.title === 'after a 502'), 60_000, 100);
    expect(fault.hits).toBe(4);
    const failed = logLines(worker).filter((l) => l.msg === 'Activity failed');
    const byRemote = failed.find((l) => (l.error as { status?: number } | undefined)?.status === 502);
    expect(byRemote?.error).toMatchObject({ type: 'ApplicationFailure(TransientError)', classification: 'transient', status: 502, message: expect.any(String) });
    for (const line of failed) expect(line.error).toMatchObject({ type: expect.any(String), message: expect.any(String), classification: expect.any(String) });
    for (const proc of [worker, api.proc]) {
      expect(proc.output()).not.toContain('"error":{}');
      expect(proc.output()).not.toContain(gh.token);
    }
  });
});
