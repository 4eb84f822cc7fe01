import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitHubDouble, type GitHubDouble } from './support/github-double';
import { eventually } from './support/harness';
import { startStack, type Stack } from './support/scenario';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * What an operator sees of a remote outage, and how soon the queue drains once the remote answers
 * again. The outage is the GitHub double answering 503 to every issue write (a local HTTP outage:
 * the real Redmine is shared with other test files).
 */
describe('remote outage: backlog visibility and recovery (GitHub double, real Temporal and Postgres)', () => {
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

  async function boundStories(repo: string, count: number, config: Json) {
    gh.createRepo(repo);
    const bound = await stack.bind('github', { baseUrl: gh.url, ...config }, { token: gh.token }, repo);
    const stories = await Promise.all(Array.from({ length: count }, (_, i) => stack.post(`/projects/${bound.project.id}/stories`, { title: `Story ${i} r0` })));
    const numbers = await Promise.all(stories.map((s) =>
      eventually(async () => (await stack.get(`/stories/${s.id}`)).links.find((l: Json) => l.bindingId === bound.binding.id)?.remoteId as string | undefined, 60_000, 200)));
    return { bound, stories: stories.map((s, i) => ({ id: s.id as string, version: s.version as number, number: Number(numbers[i]) })) };
  }
  const edit = async (story: { id: string; version: number }, title: string) => {
    const res = await stack.api.call('PATCH', `/stories/${story.id}`, { version: story.version, title });
    story.version = ((await res.json()) as Json).version;
  };

  it('a push that fails shows in the backlog from its first failed attempt', async () => {
    const repo = 'octo/outage-visible';
    // One request per attempt (no in-process retries), so the double's 503s count the attempts.
    const { bound, stories: [story] } = await boundStories(repo, 1, { maxRequestsPerSecond: 100, maxInlineWaitSeconds: 0 });
    const writes = new RegExp(`^/repos/${repo}/issues/\\d+$`);
    const outage = gh.inject({ fault: { kind: 'status', status: 503 }, times: Infinity, method: 'PATCH', path: writes });
    try {
      await edit(story!, 'Edited during the outage');
      const shown = await eventually(async () => {
        const backlog = await stack.get(`/bindings/${bound.binding.id}/backlog`);
        return backlog.size > 0 ? { backlog, failures: outage.hits } : undefined;
      }, 60_000, 50);
      expect(shown.backlog).toMatchObject({ backlogged: true, size: 1 });
      // Shown after the first failed write (the backlog's own first retry may have failed meanwhile), not after a round of direct retries.
      expect(shown.failures).toBeGreaterThanOrEqual(1);
      expect(shown.failures).toBeLessThanOrEqual(2);
    } finally {
      outage.cancel();
    }
    await eventually(async () => gh.getIssue(repo, story!.number)!.title === 'Edited during the outage', 30_000, 100);
    await eventually(async () => !(await stack.get(`/bindings/${bound.binding.id}/backlog`)).backlogged, 30_000, 100);
  }, 120_000);

  it('notices the remote answering again within a second or so and delivers 50 queued stories soon after, even after a long outage', async () => {
    const repo = 'octo/outage-recovery';
    // No in-process retries: each failed write is one 503, so the moment after a failed retry of the head is known.
    const { bound, stories } = await boundStories(repo, 50, { maxRequestsPerSecond: 100, maxInlineWaitSeconds: 0 });
    const writes = new RegExp(`^/repos/${repo}/issues/\\d+$`);
    const outage = gh.inject({ fault: { kind: 'status', status: 503 }, times: Infinity, method: 'PATCH', path: writes });
    let recovered: number;
    try {
      for (const [i, s] of stories.entries()) await edit(s, `Story ${i} r1`);
      await eventually(async () => (await stack.get(`/bindings/${bound.binding.id}/backlog`)).size === stories.length, 90_000, 250);
      // Long enough for the head's retries to back off to their longest interval (1+2+4+8 s before).
      const outageStarted = Date.now();
      await eventually(async () => Date.now() - outageStarted > 16_000, 20_000, 500);
      // The remote comes back right after a failed retry of the head: the worst moment for a backoff.
      const before = outage.hits;
      await eventually(async () => outage.hits > before, 30_000, 10);
      outage.cancel();
      recovered = Date.now();
    } finally {
      outage.cancel();
    }
    await eventually(async () => stories.every((s, i) => gh.getIssue(repo, s.number)!.title === `Story ${i} r1`), 60_000, 50);
    const deliveredMs = Date.now() - recovered;
    const ok = gh.requests({ method: 'PATCH', path: writes }).filter((r) => r.status < 400 && r.at >= recovered).map((r) => r.at - recovered);
    console.info(`[measure] 50 queued stories delivered ${deliveredMs} ms after the remote answered again (first write at ${ok[0]} ms, ${ok.length} writes, ${JSON.stringify(ok)})`);
    // What the fix changes is how soon the head notices the recovery: its next retry came 8-15 s after a
    // failed one before (backoff to 15 s), ~1 s now. The drain's own pace depends on the machine's load
    // (3.2 s for 50 stories alone, 6.8 s beside three other suites), so its bound is a loose one; the
    // benchmark harness (P5) measures throughput.
    expect(ok[0]).toBeDefined();
    expect(ok[0]!).toBeLessThanOrEqual(4000);
    expect(deliveredMs).toBeLessThanOrEqual(15_000);
    await eventually(async () => {
      const backlog = await stack.get(`/bindings/${bound.binding.id}/backlog`);
      return backlog.size === 0 && !backlog.backlogged;
    }, 30_000, 100);
    expect((await stack.get(`/bindings/${bound.binding.id}/dead-letters`)).items).toHaveLength(0);
  }, 240_000);

  it('while backlogged, asks the remote again within a second of each failure and writes within a second of it answering, with the default HTTP retries', async () => {
    const repo = 'octo/outage-wake';
    // The connection's own HTTP retries are on, as by default; its pace is raised so that the request
    // budget is not what is measured.
    const { bound, stories } = await boundStories(repo, 20, { maxRequestsPerSecond: 100 });
    const writes = new RegExp(`^/repos/${repo}/issues/\\d+$`);
    const outage = gh.inject({ fault: { kind: 'status', status: 503 }, times: Infinity, method: 'PATCH', path: writes });
    let recovered: number;
    let gaps: number[];
    try {
      for (const [i, s] of stories.entries()) await edit(s, `Story ${i} r1`);
      await eventually(async () => (await stack.get(`/bindings/${bound.binding.id}/backlog`)).size === stories.length, 90_000, 250);
      // Five seconds of the head failing: how long the remote goes unasked is how late a recovery is noticed.
      const from = Date.now();
      await eventually(async () => Date.now() - from > 5_000, 10_000, 250);
      const failed = gh.requests({ method: 'PATCH', path: writes }).map((r) => r.at).filter((at) => at >= from).sort((a, b) => a - b);
      gaps = failed.slice(1).map((at, i) => at - failed[i]!);
      // It answers again right after a failed write.
      const before = outage.hits;
      await eventually(async () => outage.hits > before, 30_000, 10);
      outage.cancel();
      recovered = Date.now();
    } finally {
      outage.cancel();
    }
    await eventually(async () => stories.every((s, i) => gh.getIssue(repo, s.number)!.title === `Story ${i} r1`), 60_000, 50);
    const deliveredMs = Date.now() - recovered;
    const ok = gh.requests({ method: 'PATCH', path: writes }).filter((r) => r.status < 400 && r.at >= recovered).map((r) => r.at - recovered);
    console.info(`[measure] probe gaps while down ${JSON.stringify(gaps)} ms; 20 stories delivered ${deliveredMs} ms after the remote answered (first write at ${ok[0]} ms)`);
    // The head's write probes in its activity every 200-500 ms, without the HTTP client's own retries.
    // Before, each attempt sat through those retries (random waits up to 0.5, 1 and 2 s) and Temporal
    // then waited 1 s before the next attempt: the remote went unasked for a second or more each time.
    expect(gaps.length).toBeGreaterThanOrEqual(5);
    expect(Math.max(...gaps)).toBeLessThan(950);
    expect(ok[0]).toBeDefined();
    expect(ok[0]!).toBeLessThan(1_500);
    expect(deliveredMs).toBeLessThan(15_000);
    await eventually(async () => {
      const backlog = await stack.get(`/bindings/${bound.binding.id}/backlog`);
      return backlog.size === 0 && !backlog.backlogged;
    }, 30_000, 100);
    expect((await stack.get(`/bindings/${bound.binding.id}/dead-letters`)).items).toHaveLength(0);
  }, 240_000);
});
