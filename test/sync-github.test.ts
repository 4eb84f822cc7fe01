import { and, eq, gte, isNotNull, isNull, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../db/client';
import { comments, outboxEvents, runs, stories } from '../db/schema';
import { pullRunning } from '../temporal/schedules';
import { startGitHubDouble, type GitHubDouble } from './support/github-double';
import { eventually } from './support/harness';
import { startStack, type Stack } from './support/scenario';

const REPO = 'octo/website';

describe('GitHub → hub: initial sync and incremental pull (GitHub double, real Temporal and Postgres)', () => {
  let stack: Stack;
  let gh: GitHubDouble;
  let bound: Awaited<ReturnType<Stack['bind']>>;
  let seeded: { first: number; last: number; pullRequests: number };

  const liveStories = (projectId: string) => stack.database.db.$count(stories, and(eq(stories.projectId, projectId), isNull(stories.deletedAt)));

  beforeAll(async () => {
    stack = await startStack();
    gh = await startGitHubDouble();
    gh.createRepo(REPO);
    seeded = gh.seedIssues(REPO, 450, { commentRatio: 0.2 });
    bound = await stack.bind('github', { baseUrl: gh.url }, { token: gh.token }, REPO);
  });
  afterAll(async () => {
    await gh?.close();
    await stack?.stop();
  });

  it('imports every issue but no pull request, with comments, and reports counts', async () => {
    const { run } = await stack.initialSync(bound.binding.id);
    expect(run.status).toBe('completed');
    const issues = 450 - seeded.pullRequests;
    expect(await liveStories(bound.project.id)).toBe(issues);
    expect(run.result).toMatchObject({ status: 'completed', counts: { created: issues, failed: 0 } });
    expect(run.counts).toMatchObject({ created: issues, updated: 0, failed: 0 });
    const withComments = gh.listIssues(REPO).filter((i) => !i.pull_request && i.comments > 0);
    expect(withComments.length).toBeGreaterThan(0);
    const expectedComments = withComments.reduce((n, i) => n + i.comments, 0);
    expect(await stack.database.db.$count(comments)).toBe(expectedComments);
    const status = await stack.get(`/bindings/${bound.binding.id}`);
    expect(status.status).toMatch(new RegExp(`^Synced ${issues} issues at `));
    expect(status.nextPullAt).not.toBeNull();
  });

  it('keeps secrets out of the workflow history', async () => {
    const history = JSON.stringify(await stack.client.workflow.getHandle(`initial-sync/${bound.binding.id}`).fetchHistory());
    expect(history).not.toContain(gh.token);
  });

  it('pulls only what changed, from remote timestamps', async () => {
    const target = gh.listIssues(REPO).find((i) => !i.pull_request)!;
    gh.editIssue(REPO, target.number, { title: 'Renamed remotely', state: 'closed' });
    gh.addComment(REPO, target.number, 'A fresh remote comment');
    gh.resetRequests();
    const run = await stack.pullNow(bound.binding.id);
    expect(run).toMatchObject({ status: 'completed', counts: { created: 0, updated: 1, failed: 0 } });
    const [story] = await queryRows<{ title: string; closed: boolean; status: string }>(stack.database.db, sql`
      select s.title, s.closed, s.status from stories s join external_links l on l.story_id = s.id where l.remote_id = ${String(target.number)}`);
    expect(story).toMatchObject({ title: 'Renamed remotely', closed: true, status: 'closed' });
    expect(await stack.database.db.$count(comments, eq(comments.body, 'A fresh remote comment'))).toBe(1);
    // Incremental: the listing asked with `since`, never from the beginning.
    const listings = gh.requests({ method: 'GET', path: /\/issues$/ });
    expect(listings.length).toBeGreaterThan(0);
    expect(listings.every((r) => r.query.since)).toBe(true);
  });

  it('a quiet pull costs one conditional request answered 304 and writes nothing', async () => {
    await stack.pullNow(bound.binding.id); // settles the watermark's ETag
    const outboxBefore = await stack.database.db.$count(outboxEvents);
    const [{ max: updatedBefore } = { max: null }] = await queryRows<{ max: string | null }>(stack.database.db, sql`select max(updated_at)::text as max from stories`);
    gh.resetRequests();
    const run = await stack.pullNow(bound.binding.id);
    expect(run.status).toBe('completed');
    const requests = gh.requests();
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ status: 304, conditional: true });
    expect(await stack.database.db.$count(outboxEvents)).toBe(outboxBefore);
    const [{ max: updatedAfter } = { max: null }] = await queryRows<{ max: string | null }>(stack.database.db, sql`select max(updated_at)::text as max from stories`);
    expect(updatedAfter).toBe(updatedBefore);
  });

  it('rides out a secondary rate limit (honouring retry-after) and a 502 burst', async () => {
    const target = gh.listIssues(REPO).find((i) => !i.pull_request)!;
    gh.editIssue(REPO, target.number, { title: 'Edited during rate limiting' });
    gh.resetRequests();
    gh.secondaryRateLimit({ retryAfter: 1, times: 1 });
    gh.failNext(3, 502);
    const run = await stack.pullNow(bound.binding.id);
    expect(run.status).toBe('completed');
    const log = gh.requests();
    const limited = log.find((r) => r.status === 403);
    expect(limited).toBeDefined();
    const after = log.find((r) => r.seq > limited!.seq && r.status < 400);
    expect(after!.at - limited!.at).toBeGreaterThanOrEqual(950);
    expect(log.filter((r) => r.status === 502)).toHaveLength(3);
    expect(await stack.database.db.$count(stories, eq(stories.title, 'Edited during rate limiting'))).toBe(1);
  });

  it('soft-deletes an issue deleted remotely, but only after a complete listing', async () => {
    const victim = gh.listIssues(REPO).find((i) => !i.pull_request && i.number > seeded.first + 5)!;
    gh.deleteIssue(REPO, victim.number);
    const { run } = await stack.initialSync(bound.binding.id);
    expect(run).toMatchObject({ status: 'completed', result: { deleted: 1 } });
    const deleted = await queryRows<{ remote_id: string }>(stack.database.db, sql`
      select l.remote_id from stories s join external_links l on l.story_id = s.id where s.deleted_at is not null`);
    expect(deleted.map((d) => d.remote_id)).toEqual([String(victim.number)]);
  });

  it('never runs a manual pull alongside another pull', async () => {
    const since = new Date();
    gh.setLatency(300);
    try {
      const asked = await Promise.all([stack.post(`/bindings/${bound.binding.id}/pull`), stack.post(`/bindings/${bound.binding.id}/pull`)]);
      // Two requests at once are one pull or two (the later one served by the pull that starts after it
      // arrived, or queued behind the running one), never two at the same time.
      const ids = [...new Set(asked.filter((a) => !a.queued).map((a) => a.workflowId as string))];
      expect(ids.length).toBeGreaterThanOrEqual(1);
      const pullRuns = () => stack.database.db.select().from(runs).where(and(eq(runs.bindingId, bound.binding.id), eq(runs.kind, 'pull'), gte(runs.startedAt, since)));
      const done = await eventually(async () => {
        const rows = await pullRuns();
        return rows.length >= ids.length && rows.every((r) => r.finishedAt !== null) && !(await pullRunning(stack.client, bound.binding.id)) ? rows : undefined;
      }, 60_000, 200);
      for (const id of ids) expect(done.map((r) => r.workflowId)).toContain(id);
      const sorted = done.sort((p, q) => p.startedAt.getTime() - q.startedAt.getTime());
      for (let i = 1; i < sorted.length; i++) expect(sorted[i]!.startedAt.getTime()).toBeGreaterThanOrEqual(sorted[i - 1]!.finishedAt!.getTime());
    } finally {
      gh.setLatency(0);
    }
  });

  it('puts new remote items in the inbox when the import policy is review, and imports on request', async () => {
    const reviewRepo = 'octo/review';
    gh.createRepo(reviewRepo);
    gh.seedIssues(reviewRepo, 5, { pullRequestRatio: 0, commentRatio: 0 });
    const review = await stack.bind('github', { baseUrl: gh.url }, { token: gh.token }, reviewRepo, { importPolicy: 'review' });
    const { run } = await stack.initialSync(review.binding.id);
    expect(run.status).toBe('completed');
    expect(await liveStories(review.project.id)).toBe(0);
    const inbox = await stack.get(`/bindings/${review.binding.id}/inbox`);
    expect(inbox.items).toHaveLength(5);
    const imported = await stack.post(`/bindings/${review.binding.id}/inbox/${inbox.items[0].id}/import`);
    expect((await stack.get(`/stories/${imported.storyId}`)).title).toBe(inbox.items[0].title);
    expect((await stack.get(`/bindings/${review.binding.id}/inbox`)).items).toHaveLength(4);
    // Pulling again does not import it twice nor re-queue it.
    await stack.initialSync(review.binding.id);
    expect(await liveStories(review.project.id)).toBe(1);
    expect((await stack.get(`/bindings/${review.binding.id}/inbox`)).items).toHaveLength(4);
  });

  it('pauses the binding with a clear status when the token is revoked', async () => {
    gh.revokeToken();
    const run = await stack.pullNow(bound.binding.id);
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/bad credentials/i);
    const status = await stack.get(`/bindings/${bound.binding.id}`);
    expect(status.state).toBe('paused');
    expect(status.status).toMatch(/^Paused: bad credentials/);
    expect(status.nextPullAt).toBeNull();
    expect(await stack.database.db.$count(stories, and(eq(stories.projectId, bound.project.id), isNotNull(stories.deletedAt)))).toBe(1);
  });
});
