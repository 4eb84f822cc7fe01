import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitHubDouble, type GitHubDouble } from './support/github-double';
import { startStack, type Stack } from './support/scenario';

const REPO = 'octo/runs';

/** GET /bindings/{id}/runs: the dashboard's run history, over the real API, worker, Temporal and Postgres. */
describe('a binding\'s runs', () => {
  let stack: Stack;
  let gh: GitHubDouble;
  let bound: Awaited<ReturnType<Stack['bind']>>;

  beforeAll(async () => {
    stack = await startStack();
    gh = await startGitHubDouble();
    gh.createRepo(REPO);
    gh.seedIssues(REPO, 3);
    bound = await stack.bind('github', { baseUrl: gh.url }, { token: gh.token }, REPO);
    expect((await stack.initialSync(bound.binding.id)).run.status).toBe('completed');
  });
  afterAll(async () => {
    await gh?.close();
    await stack?.stop();
  });

  it('lists initial syncs and pulls newest first with their counts, page by page', async () => {
    const target = gh.listIssues(REPO).find((i) => !i.pull_request)!;
    gh.editIssue(REPO, target.number, { title: 'Edited for the second pull' });
    expect((await stack.pullNow(bound.binding.id)).status).toBe('completed');

    const first = await stack.get(`/bindings/${bound.binding.id}/runs?limit=1`);
    expect(first.items).toEqual([expect.objectContaining({ kind: 'pull', status: 'completed', counts: expect.objectContaining({ updated: 1 }), finishedAt: expect.any(String) })]);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await stack.get(`/bindings/${bound.binding.id}/runs?limit=1&cursor=${first.nextCursor}`);
    expect(second.items).toEqual([expect.objectContaining({ kind: 'initial-sync', status: 'completed', items: 3, counts: expect.objectContaining({ created: 3 }) })]);
    expect(second.nextCursor).toBeNull();
    // The run's workflow id leads to its live status.
    expect((await stack.get(`/runs/${encodeURIComponent(second.items[0].workflowId)}`)).status).toBe('completed');
  });

  it('answers 404 for an unknown binding and 400 naming the cursor for a forged one', async () => {
    expect((await stack.api.call('GET', `/bindings/${randomUUID()}/runs`)).status).toBe(404);
    const forged = await stack.api.call('GET', `/bindings/${bound.binding.id}/runs?cursor=bm90LWEtY3Vyc29y`);
    expect(forged.status).toBe(400);
    expect(JSON.stringify(await forged.json())).toContain('query.cursor');
  });
});
