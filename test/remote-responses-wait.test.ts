/**
 * Issue 10 §6: a rate-limit reset sent in epoch milliseconds (instead of seconds) must become a wait of
 * seconds, not millennia, and the binding's status says what it is waiting for until the remote answers.
 * Real Temporal and Postgres; GitHub is the double, answering as GitHub does with a misread reset.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitHubDouble, type GitHubDouble } from './support/github-double';
import { eventually } from './support/harness';
import { startStack, type Stack } from './support/scenario';

const REPO = 'octo/limits';
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('a rate-limit reset in milliseconds (GitHub double, real Temporal and Postgres)', { timeout: 120_000 }, () => {
  let stack: Stack;
  let gh: GitHubDouble;

  beforeAll(async () => {
    stack = await startStack();
    gh = await startGitHubDouble();
    gh.createRepo(REPO);
  });
  afterAll(async () => {
    await gh?.close();
    await stack?.stop();
  });

  it('waits seconds, shows "waiting for GitHub\'s rate limit until …" on the binding, and clears it once a call goes through', async () => {
    // maxInlineWaitSeconds 0: every rate-limit wait goes back to Temporal, as a long one would.
    const { binding, project } = await stack.bind('github', { baseUrl: gh.url, maxRequestsPerSecond: 100, maxInlineWaitSeconds: 0 }, { token: gh.token }, REPO);
    const story = await stack.post(`/projects/${project.id}/stories`, { title: 'Before the limit' });
    const number = await eventually(async () => (await stack.get(`/stories/${story.id}`)).links.find((l: Json) => l.remoteId)?.remoteId as string | undefined);

    const resetAt = Date.now() + 6_000;
    const limited = gh.inject({
      path: new RegExp(`^/repos/${REPO}/issues/${number}$`), times: Infinity,
      fault: {
        kind: 'status', status: 403,
        body: { message: 'API rate limit exceeded for user ID 1.', documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api' },
        // Milliseconds where GitHub documents seconds: read as seconds this was a wait of 55,000 years.
        headers: { 'x-ratelimit-limit': '5000', 'x-ratelimit-remaining': '0', 'x-ratelimit-used': '5000', 'x-ratelimit-reset': String(resetAt), 'x-ratelimit-resource': 'core' },
      },
    });
    const edited = await stack.api.call('PATCH', `/stories/${story.id}`, { version: story.version, title: 'After the limit' });
    expect(edited.status).toBe(200);

    const waiting = await eventually(async () => (await stack.get(`/bindings/${binding.id}`)).waiting as { until: string; reason: string } | null, 30_000);
    expect(waiting.reason).toMatch(/^waiting for GitHub's rate limit until \d\d:\d\d UTC$/);
    expect(Math.abs(Date.parse(waiting.until) - resetAt)).toBeLessThan(5_000);
    expect(waiting.reason).toContain(new Date(Date.parse(waiting.until)).toISOString().slice(11, 16));

    limited.cancel();
    await eventually(async () => gh.getIssue(REPO, Number(number))?.title === 'After the limit', 60_000);
    await eventually(async () => (await stack.get(`/bindings/${binding.id}`)).waiting === null, 30_000);
    expect(limited.hits).toBeGreaterThan(0);
  });
});
