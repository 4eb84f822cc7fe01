import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runs } from '../db/schema';
import { startGitHubDouble, type GitHubDouble } from './support/github-double';
import { eventually } from './support/harness';
import { startStack, type Stack } from './support/scenario';
import { pollerWorkflowId, pullNowUpdate } from '../workflows/contract';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const tally = (counts: Record<string, number> = {}) => (counts.created ?? 0) + (counts.updated ?? 0) + (counts.unchanged ?? 0) + (counts.failed ?? 0);

describe('what users see of a run (GitHub double, real Temporal and Postgres)', () => {
  let stack: Stack;
  let gh: GitHubDouble;

  beforeAll(async () => {
    stack = await startStack();
    gh = await startGitHubDouble();
  });
  afterAll(async () => {
    await gh?.close();
    await stack?.stop();
  });

  /** A repository of `count` issues bound through its own connection (100 requests/s, no in-process retries). */
  async function boundRepo(repo: string, count: number) {
    gh.createRepo(repo);
    gh.seedIssues(repo, count, { pullRequestRatio: 0, commentRatio: 0.2 });
    return stack.bind('github', { baseUrl: gh.url, maxRequestsPerSecond: 100, maxInlineWaitSeconds: 0 }, { token: gh.token }, repo);
  }
  const listing = (repo: string) => new RegExp(`^/repos/${repo}/issues$`);

  it('an initial sync reports progress after each page, its counts agree with its progress, and a retried page counts once', async () => {
    const repo = 'octo/progress';
    const bound = await boundRepo(repo, 500);
    // Five pages of 100, each listed slowly: one activity takes them all (it takes pages for up to 10 s).
    const slow = gh.inject({ fault: { kind: 'latency', ms: 800 }, times: Infinity, method: 'GET', path: listing(repo) });
    // One comment listing fails in the middle: the activity fails after applying a page and before finishing it.
    const blip = gh.inject({ fault: { kind: 'status', status: 502 }, times: 1, skip: 30, method: 'GET', path: new RegExp(`^/repos/${repo}/issues/\\d+/comments$`) });
    try {
      const started = await stack.post(`/bindings/${bound.binding.id}/initial-sync`);
      const seen: Json[] = [];
      const run = await eventually(async () => {
        const r = await stack.get(`/runs/${encodeURIComponent(started.workflowId)}`);
        if (r.status !== 'running') return r;
        if (r.progress) seen.push({ progress: r.progress, counts: r.counts });
        return undefined;
      }, 120_000, 100);

      expect(blip.hits).toBe(1);
      expect(run.status).toBe('completed');
      expect(run.result).toMatchObject({ status: 'completed', items: 500 });
      expect(run.counts).toEqual({ created: 500, updated: 0, unchanged: 0, failed: 0 });
      expect(run.result.counts).toMatchObject(run.counts);

      // Progress moved page by page, not once per activity.
      const between = new Set(seen.map((s) => s.progress.itemsDone as number).filter((n) => n > 0 && n < 500));
      expect([...between].length, `progress seen: ${JSON.stringify([...new Set(seen.map((s) => s.progress.itemsDone))])}`).toBeGreaterThanOrEqual(2);
      // The top-level counts and the progress are one tally: never one ahead of the other.
      for (const s of seen) expect(tally(s.counts), JSON.stringify(s)).toBe(s.progress.itemsDone);
      expect(seen.at(-1)!.progress).toMatchObject({ total: null });

      const status = await stack.get(`/bindings/${bound.binding.id}`);
      expect(status.lastRun).toMatchObject({ kind: 'initial-sync', status: 'completed', counts: { created: 500 } });
    } finally {
      slow.cancel();
      blip.cancel();
    }
  }, 180_000);

  it("the binding's last run is the completed initial sync, not a scheduled pull skipped while it ran", async () => {
    const repo = 'octo/last-run';
    const bound = await boundRepo(repo, 150);
    const slow = gh.inject({ fault: { kind: 'latency', ms: 1500 }, times: Infinity, method: 'GET', path: listing(repo) });
    try {
      const started = await stack.post(`/bindings/${bound.binding.id}/initial-sync`);
      await eventually(async () => (await stack.database.db.select().from(runs)
        .where(and(eq(runs.bindingId, bound.binding.id), eq(runs.kind, 'initial-sync'), eq(runs.status, 'running')))).length > 0, 30_000, 50);
      // The pull timer fires a pull (the API refuses a manual pull while an initial sync runs).
      const fired = await stack.client.workflow.getHandle(pollerWorkflowId(bound.binding.id)).executeUpdate(pullNowUpdate);
      expect(fired.workflowId).toMatch(/^pull\//);
      const pull = await stack.client.workflow.getHandle(fired.workflowId!).result();
      expect(pull).toMatchObject({ status: 'skipped', reason: 'an initial sync is running' });
      const done = await stack.waitRun(started.workflowId, 60_000);
      expect(done.status).toBe('completed');
      const status = await stack.get(`/bindings/${bound.binding.id}`);
      expect(status.lastRun).toMatchObject({ workflowId: started.workflowId, kind: 'initial-sync', status: 'completed', counts: { created: 150 } });
      expect(status.status).toMatch(/^Synced 150 issues at /);
    } finally {
      slow.cancel();
    }
  }, 120_000);
});
