import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { queryRows } from '../db/client';
import { startGitHubDouble, type GitHubDouble } from './support/github-double';
import { connectTestClient, createTestApi, createTestDatabase, eventually } from './support/harness';
import { spawnScript, type Spawned } from './support/process';

const REPO = 'octo/big';
const ISSUES = 2100;

/** R1 and I1 (pull side): a worker SIGKILLed mid initial sync resumes from its checkpoint. */
describe('crash and resume of an initial sync (real worker process, SIGKILL)', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let client: Awaited<ReturnType<typeof connectTestClient>>;
  let gh: GitHubDouble;
  const workers: Spawned[] = [];
  const taskQueue = `crash-${Math.random().toString(36).slice(2, 8)}`;

  const startWorker = async () => {
    const proc = spawnScript('scripts/worker.ts', {
      DATABASE_URL: database.url,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_TASK_QUEUE: taskQueue,
      TRACKBRIDGE_SECRET_KEY: Buffer.alloc(32, 7).toString('base64'),
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'info',
    });
    workers.push(proc);
    await proc.waitFor(/worker running/);
    return proc;
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    client = await connectTestClient();
    gh = await startGitHubDouble({ latencyMs: 40 });
    gh.createRepo(REPO);
    gh.seedIssues(REPO, ISSUES, { pullRequestRatio: 0, commentRatio: 0 });
  });
  afterAll(async () => {
    for (const w of workers) await w.stop('SIGKILL');
    await gh?.close();
    await client?.close();
    await database?.drop();
  });

  // Two real worker processes, a kill and a resume: about a minute on a busy 2-core machine.
  it('ends with exactly one story per remote issue and does not start over from page 1', { timeout: 180_000 }, async () => {
    const api = await createTestApi({ database, client, taskQueue });
    const post = async (path: string, body?: unknown) => (await (await api.call('POST', path, body)).json()) as Record<string, string>;
    const project = await post('/projects', { key: 'CRASH', name: 'Crash' });
    const connection = await post('/connections', { connector: 'github', name: 'gh', config: { baseUrl: gh.url, maxRequestsPerSecond: 100 }, secrets: { token: gh.token } });
    // A worker first: creating the binding checks the scope on the remote through a workflow.
    const first = await startWorker();
    const binding = await post('/bindings', { projectId: project.id, connectionId: connection.id, scope: REPO, pullIntervalSeconds: 3600 });
    const { workflowId } = await post(`/bindings/${binding.id}/initial-sync`);
    await eventually(async () => gh.pageRequests(REPO) >= 6, 60_000, 20);
    await first.stop('SIGKILL');
    const pagesBeforeKill = gh.pageRequests(REPO);
    const storiesAtKill = (await queryRows<{ n: number }>(database.db, sql`select count(*)::int as n from stories`))[0]!.n;
    expect(storiesAtKill).toBeLessThan(ISSUES);

    await startWorker();
    const result = await client.workflow.getHandle(workflowId!).result();
    expect(result).toMatchObject({ status: 'completed', counts: { created: ISSUES, failed: 0 } });

    const [counts] = await queryRows<{ stories: number; remotes: number; links: number }>(database.db, sql`
      select (select count(*)::int from stories) as stories,
             (select count(distinct remote_id)::int from external_links) as remotes,
             (select count(*)::int from external_links) as links`);
    expect(counts).toEqual({ stories: ISSUES, remotes: ISSUES, links: ISSUES });

    // 21 pages of 100, plus at most what the kill caught unfinished (the page being applied, its
    // checkpoint not yet written, and the next one being fetched) and the watermark probe.
    const pages = gh.pageRequests(REPO);
    expect(pages).toBeGreaterThan(pagesBeforeKill);
    expect(pages).toBeLessThanOrEqual(Math.ceil(ISSUES / 100) + 4);
    const fromTheTop = gh.requests({ path: /\/issues$/ }).filter((r) => !r.query.since);
    expect(fromTheTop).toHaveLength(1);
    // S1: the workers logged plenty, and never the token.
    for (const w of workers) expect(w.output()).not.toContain(gh.token);
    expect(workers.map((w) => w.output()).join('')).toMatch(/"level":30/);
  });
});
