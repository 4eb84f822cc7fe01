import { and, count, eq, isNull } from 'drizzle-orm';
import { createApp } from '../api/app';
import { installedConnectors } from '../plugins/registry';
import { createApiToken } from '../db/tokens';
import { stories } from '../db/schema';
import type { SyncSummary } from '../workflows/syncLoop';
import type { GitHubDouble } from '../test/support/github-double';
import type { BenchDatabase, BenchEnv } from './env';
import type { WorkerProcess } from './worker-process';

type Json = Record<string, unknown>;

export interface SyncRun {
  workflowId: string;
  /** First run of the chain (initial syncs continue as new every 200 pages). */
  firstRunId: string;
  /** From the API call that starts it to the workflow's close time. */
  ms: number;
  result: SyncSummary;
}

export interface Bound {
  projectId: string;
  connectionId: string;
  bindingId: string;
}

/** A database, a worker process on it, and the real API in-process: the path a user's request takes. */
export interface Stack {
  database: BenchDatabase;
  worker: WorkerProcess;
  call(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<Json>;
  /** The API itself, for a scenario that serves it on a port (remotes' webhooks need a URL). */
  app: { fetch(request: Request): Response | Promise<Response> };
  bind(connector: string, config: Json, secrets: Json, scope: string): Promise<Bound>;
  /** Fails if the worker process dies or the sync outlives `timeoutMs` (default 30 minutes). */
  initialSync(bindingId: string, timeoutMs?: number): Promise<SyncRun>;
  /** "Pull now" through the binding's schedule, waited to its end. */
  pull(bindingId: string, timeoutMs?: number): Promise<SyncRun>;
  liveStories(projectId: string): Promise<number>;
  close(): Promise<void>;
}

const WARMUP_REPO = 'bench/warmup';

let projects = 0;
const seeded = new WeakSet<GitHubDouble>();

/**
 * Opens a stack and runs one tiny initial sync through it, so the measured runs do not pay for
 * first-use costs (module loading, JIT, pools) and memory readings start from a settled worker.
 */
export async function openStack(env: BenchEnv, warmup: GitHubDouble): Promise<Stack> {
  const database = await env.createDatabase();
  let worker: WorkerProcess | undefined;
  try {
    worker = await env.startWorker(database);
    const running = worker;
    const app = createApp({
      db: database.db,
      temporal: env.client,
      taskQueue: running.taskQueue,
      connectors: installedConnectors(),
      secretBox: env.secretBox,
      logger: env.logger,
      checks: { database: () => database.ping(), temporal: async () => undefined },
      // The bench drives thousands of edits a minute through one token: the API's own rate limit
      // (RATE_LIMIT_PER_MINUTE) is off here, or it would measure the limiter (see the report's notes).
      limits: { ratePerMinute: 0 },
    });
    const { token } = await createApiToken(database.db, 'bench');
    const call: Stack['call'] = async (method, path, body) => {
      const res = await app.request(path, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const json = (await res.json()) as Json;
      if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status}: ${JSON.stringify(json)}`);
      return json;
    };
    /**
     * Polls the chain's latest run instead of long-polling its result: a dead worker or a timeout is
     * noticed within a poll, and no call is left in flight when the run is aborted. The duration ends
     * at the run's close time, so polling adds nothing to it.
     */
    const waitFor = async (workflowId: string, startedAt: number, firstRunId: string, timeoutMs = 30 * 60_000): Promise<SyncRun> => {
      const handle = env.client.workflow.getHandle(workflowId);
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const exit = running.exitStatus();
        if (exit) throw new Error(`the worker process died (${exit}) while ${workflowId} ran; its last output:\n${running.output().slice(-3000)}`);
        const described = await handle.describe();
        if (described.status.name !== 'RUNNING') {
          const result = (await handle.result()) as SyncSummary;
          return { workflowId, firstRunId, ms: (described.closeTime?.getTime() ?? Date.now()) - startedAt, result };
        }
        if (Date.now() > deadline) throw new Error(`${workflowId} still running after ${Math.round(timeoutMs / 1000)} s`);
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    const stack: Stack = {
      database,
      worker: running,
      call,
      app,
      async bind(connector, config, secrets, scope) {
        const key = `B${++projects}${Math.random().toString(36).slice(2, 6).toUpperCase()}`;
        const project = await call('POST', '/projects', { key, name: `bench ${scope}` });
        const connection = await call('POST', '/connections', { connector, name: `bench ${connector} ${key}`, config, secrets });
        // A day between scheduled pulls: the benchmark triggers every pull itself.
        const binding = await call('POST', '/bindings', { projectId: project.id, connectionId: connection.id, scope, pullIntervalSeconds: 86_400 });
        return { projectId: project.id as string, connectionId: connection.id as string, bindingId: binding.id as string };
      },
      async initialSync(bindingId, timeoutMs) {
        const started = Date.now();
        const { workflowId, runId } = (await call('POST', `/bindings/${bindingId}/initial-sync`)) as { workflowId: string; runId: string };
        return waitFor(workflowId, started, runId, timeoutMs);
      },
      async pull(bindingId, timeoutMs = 5 * 60_000) {
        const started = Date.now();
        const { workflowId, queued } = (await call('POST', `/bindings/${bindingId}/pull`)) as { workflowId: string | null; queued: boolean };
        if (!workflowId || queued) throw new Error('pull was queued behind another pull');
        const handle = env.client.workflow.getHandle(workflowId);
        const { runId } = await handle.describe();
        return waitFor(workflowId, started, runId, timeoutMs);
      },
      async liveStories(projectId) {
        const [row] = await database.db.select({ n: count() }).from(stories).where(and(eq(stories.projectId, projectId), isNull(stories.deletedAt)));
        return row?.n ?? 0;
      },
      async close() {
        await running.stop();
        await database.drop();
      },
    };
    if (!seeded.has(warmup)) {
      warmup.seedIssues(WARMUP_REPO, 50, { pullRequestRatio: 0, commentRatio: 0.2 });
      seeded.add(warmup);
    }
    const bound = await stack.bind('github', githubConfig(warmup), { token: warmup.token }, WARMUP_REPO);
    const run = await stack.initialSync(bound.bindingId);
    if (run.result.status !== 'completed') throw new Error(`warm-up sync did not complete: ${JSON.stringify(run.result)}`);
    return stack;
  } catch (err) {
    await worker?.stop();
    await database.drop();
    throw err;
  }
}

/** The GitHub double's hourly token budget in the bench: far above GitHub's 5,000, which the scenarios together exceed. */
export const BENCH_GITHUB_BUDGET = 100_000_000;

/** The connector's request budget at its maximum, so the pacer is not what a scenario measures. */
export const MAX_REQUESTS_PER_SECOND = 100;

export const githubConfig = (double: GitHubDouble) => ({ baseUrl: double.url, maxRequestsPerSecond: MAX_REQUESTS_PER_SECOND });
