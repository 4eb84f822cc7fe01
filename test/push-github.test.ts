import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../db/client';
import { connect } from '../connectors/connect';
import { bindings, outboxEvents, stories } from '../db/schema';
import { github } from '../connectors/github';
import { takeWriteSeq } from '../db/links';
import { applyRemotePage } from '../sync/pull';
import { effectiveRules } from '../rules';
import { startGitHubDouble, type GitHubDouble } from './support/github-double';
import { eventually, testLogger } from './support/harness';
import { startStack, type Stack } from './support/scenario';
import { pushBurstWindowOver, pushSettled } from './support/settle';

const REPO = 'octo/push';
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('hub → GitHub: push workflows (GitHub double, real Temporal and Postgres)', () => {
  let stack: Stack;
  let gh: GitHubDouble;
  let bound: Awaited<ReturnType<Stack['bind']>>;

  const remoteNumber = async (storyId: string) =>
    eventually(async () => (await stack.get(`/stories/${storyId}`)).links.find((l: Json) => l.bindingId === bound.binding.id)?.remoteId as string | undefined);
  const patch = (id: string, body: Json) => stack.api.call('PATCH', `/stories/${id}`, body);

  beforeAll(async () => {
    stack = await startStack();
    gh = await startGitHubDouble();
    gh.createRepo(REPO);
    bound = await stack.bind('github', { baseUrl: gh.url, maxRequestsPerSecond: 100 }, { token: gh.token }, REPO);
  });
  afterAll(async () => {
    await gh?.close();
    await stack?.stop();
  });

  it('creates the remote issue once, with a hidden marker, and links it', async () => {
    const story = await stack.post(`/projects/${bound.project.id}/stories`, { title: 'Checkout fails on Safari', description: 'Steps: …', labels: ['bug'] });
    const number = Number(await remoteNumber(story.id));
    const issue = gh.getIssue(REPO, number)!;
    expect(issue).toMatchObject({ title: 'Checkout fails on Safari', state: 'open' });
    expect(issue.labels.map((l) => l.name)).toEqual(['bug']);
    expect(issue.body).toMatch(/<!-- trackbridge:/);
    expect(gh.listIssues(REPO)).toHaveLength(1);
    const history = await stack.get(`/stories/${story.id}/pushes`);
    expect(history.items.map((h: Json) => h.operation)).toEqual(['create']);
  });

  it('writes only the fields that changed, and rejects a stale version with 409 writing nothing', async () => {
    const story = await stack.post(`/projects/${bound.project.id}/stories`, { title: 'Original', description: 'Body' });
    const number = Number(await remoteNumber(story.id));
    const ok = await patch(story.id, { version: story.version, title: 'Renamed in the hub' });
    expect(ok.status).toBe(200);
    await eventually(async () => gh.getIssue(REPO, number)!.title === 'Renamed in the hub');
    // The update's log row is written after the remote write returns, so wait for it rather than read once.
    const update = await eventually(async () => (await stack.get(`/stories/${story.id}/pushes`)).items.find((h: Json) => h.operation === 'update'));
    expect(update).toMatchObject({ operation: 'update', fields: ['title'] });

    const outboxBefore = await stack.database.db.$count(outboxEvents);
    const stale = await patch(story.id, { version: story.version, title: 'From an old tab' });
    expect(stale.status).toBe(409);
    expect(((await stale.json()) as Json).error.fields[0].path).toBe('version');
    expect(await stack.database.db.$count(outboxEvents)).toBe(outboxBefore);
    expect((await stack.get(`/stories/${story.id}`)).title).toBe('Renamed in the hub');
  });

  it('a pull whose page was fetched before a push wrote the item does not take the page for a remote edit', async () => {
    const story = await stack.post(`/projects/${bound.project.id}/stories`, { title: 'Before the push' });
    const number = await remoteNumber(story.id);
    const client = connect(github, { config: github.configSchema.parse({ baseUrl: gh.url }), secrets: { token: gh.token }, logger: testLogger });
    // A pull fetches its page: the item as it is before the push below.
    const fetchedAtSeq = await takeWriteSeq(stack.database.db);
    const page = [(await client.getItem(REPO, number))!];
    expect(page[0]!.fields.title).toBe('Before the push');
    // Meanwhile a hub edit is pushed.
    await patch(story.id, { version: story.version, title: 'After the push' });
    await eventually(async () => (await stack.get(`/stories/${story.id}/pushes`)).items.some((h: Json) => h.operation === 'update'));
    const [binding] = await stack.database.db.select().from(bindings).where(eq(bindings.id, bound.binding.id));
    const rules = effectiveRules(null, 'github');
    // The page is applied after the push recorded its write: it must not undo the hub edit...
    const applied = await applyRemotePage(stack.database.db, binding!, page, { full: false, listedAt: new Date(), rules, fetchedAtSeq });
    expect(applied.counts).toMatchObject({ updated: 0 });
    expect((await stack.get(`/stories/${story.id}`)).title).toBe('After the push');
    // Without `fetchedAtSeq` the page was taken for a remote edit and undid the hub edit (checked when the
    // guard was written, by reverting it). Re-applying the page here to show that is not deterministic:
    // whether the stale page then wins depends on timestamps a concurrent scheduled pull may move.
  });

  it('coalesces a burst of 20 edits within a second into at most 2 remote writes', async () => {
    let story = await stack.post(`/projects/${bound.project.id}/stories`, { title: 'Burst 0' });
    const number = Number(await remoteNumber(story.id));
    // The burst below starts after the create's burst window (the case measured): its first edit is written at once.
    await pushBurstWindowOver(stack, bound.binding.id, story.id);
    gh.resetRequests();
    for (let i = 1; i <= 20; i++) {
      // Back to back, so the burst stays within a second even on a loaded machine.
      story = (await (await patch(story.id, { version: story.version, title: `Burst ${i}` })).json()) as Json;
    }
    await eventually(async () => gh.getIssue(REPO, number)!.title === 'Burst 20', 15_000);
    await pushSettled(stack, bound.binding.id, story.id);
    const writes = gh.requests({ method: 'PATCH', path: new RegExp(`/issues/${number}$`) });
    expect(writes.length).toBeGreaterThanOrEqual(1);
    expect(writes.length).toBeLessThanOrEqual(2);
    expect(gh.getIssue(REPO, number)!.title).toBe('Burst 20');
  });

  it('pushes hub comments, and closes the remote issue when the story is deleted', async () => {
    const story = await stack.post(`/projects/${bound.project.id}/stories`, { title: 'To be deleted' });
    const number = Number(await remoteNumber(story.id));
    await stack.post(`/stories/${story.id}/comments`, { body: 'Looking into it' });
    await eventually(async () => gh.listComments(REPO, number).some((c) => c.body === 'Looking into it'));
    const current = await stack.get(`/stories/${story.id}`);
    expect((await stack.api.call('DELETE', `/stories/${story.id}?version=${current.version}`)).status).toBe(200);
    await eventually(async () => gh.getIssue(REPO, number)!.state === 'closed');
  });

  it('syncs comment edits both ways: a hub edit is patched onto the GitHub comment, and a GitHub edit comes back to the hub', async () => {
    const story = await stack.post(`/projects/${bound.project.id}/stories`, { title: 'Comment edits' });
    const number = Number(await remoteNumber(story.id));
    const comment = await stack.post(`/stories/${story.id}/comments`, { body: 'Fixed in 2.4.0' });
    const remote = await eventually(async () => gh.listComments(REPO, number).find((c) => c.body === 'Fixed in 2.4.0'));

    const edit = await stack.api.call('PATCH', `/stories/${story.id}/comments/${comment.id}`, { body: 'Fixed in 2.4.1' });
    expect(edit.status).toBe(200);
    await eventually(async () => gh.listComments(REPO, number).find((c) => c.id === remote.id)?.body === 'Fixed in 2.4.1');
    expect(gh.listComments(REPO, number)).toHaveLength(1);

    gh.editComment(REPO, remote.id, 'Fixed in 2.4.1 (verified)');
    await stack.pullNow(bound.binding.id);
    const hub = (await stack.get(`/stories/${story.id}/comments`)).items as Json[];
    expect(hub.map((c) => c.body)).toEqual(['Fixed in 2.4.1 (verified)']);
    // The edit that came from GitHub is not sent back to it.
    await pushSettled(stack, bound.binding.id, story.id);
    expect(gh.requests({ method: 'PATCH' }).filter((r) => r.path.includes('/issues/comments/'))).toHaveLength(1);

    // A comment pulled from GitHub belongs to its author there.
    const theirs = gh.addComment(REPO, number, 'From a GitHub user', { user: 'octocat' });
    await stack.pullNow(bound.binding.id);
    const pulled = ((await stack.get(`/stories/${story.id}/comments`)).items as Json[]).find((c) => c.body === theirs.body)!;
    const refused = await stack.api.call('PATCH', `/stories/${story.id}/comments/${pulled.id}`, { body: 'Rewritten in the hub' });
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as Json).error).toMatchObject({ code: 'foreign_comment', fields: [{ path: 'commentId' }] });
    const missing = await stack.api.call('PATCH', `/stories/${story.id}/comments/00000000-0000-4000-8000-000000000000`, { body: 'x' });
    expect(missing.status).toBe(404);
  });

  it('drains a backlog after an outage, and a write that fails again behind the head stays queued until it goes through', async () => {
    const repo = 'octo/backlog';
    gh.createRepo(repo);
    // No in-process retries: a 503 fails the write's attempt at once, so the backlog sees every failure.
    const own = await stack.bind('github', { baseUrl: gh.url, maxRequestsPerSecond: 100, maxInlineWaitSeconds: 0 }, { token: gh.token }, repo);
    const backlog = () => stack.get(`/bindings/${own.binding.id}/backlog`);
    const stories = await Promise.all(Array.from({ length: 8 }, (_, i) => stack.post(`/projects/${own.project.id}/stories`, { title: `Backlog ${i} r0` })));
    const numbers = await Promise.all(stories.map((s) =>
      eventually(async () => (await stack.get(`/stories/${s.id}`)).links.find((l: Json) => l.bindingId === own.binding.id)?.remoteId as string | undefined)));
    const writes = new RegExp(`^/repos/${repo}/issues/\\d+$`);
    const outage = gh.inject({ fault: { kind: 'status', status: 503 }, times: Infinity, method: 'PATCH', path: writes });
    for (const round of [1, 2]) {
      for (const [i, s] of stories.entries()) {
        const res = await patch(s.id, { version: s.version, title: `Backlog ${i} r${round}` });
        s.version = ((await res.json()) as Json).version;
      }
      if (round === 1) await eventually(async () => (await backlog()).backlogged, 60_000, 250);
    }
    await eventually(async () => (await backlog()).size === stories.length, 60_000, 250);
    // Recovery, except that the writes right behind the head fail again for a while.
    const relapse = gh.inject({ fault: { kind: 'status', status: 503 }, times: 3, skip: 1, method: 'PATCH', path: writes });
    outage.cancel();
    await eventually(async () => {
      const b = await backlog();
      return b.size === 0 && !b.backlogged;
    }, 120_000, 250);
    expect(relapse.hits).toBe(3);
    expect(numbers.map((n) => gh.getIssue(repo, Number(n))!.title)).toEqual(stories.map((_, i) => `Backlog ${i} r2`));
    expect((await stack.get(`/bindings/${own.binding.id}/dead-letters`)).items).toHaveLength(0);
  });

  it('does not see its own writes as remote changes on the next pull (E1)', async () => {
    const story = await stack.post(`/projects/${bound.project.id}/stories`, { title: 'Echo check' });
    const number = Number(await remoteNumber(story.id));
    await patch(story.id, { version: story.version, title: 'Echo check, edited', labels: ['b', 'a'] });
    await eventually(async () => gh.getIssue(REPO, number)!.title === 'Echo check, edited');
    await pushSettled(stack, bound.binding.id, story.id);
    const fromPulls = () => stack.database.db.$count(outboxEvents, eq(outboxEvents.origin, bound.binding.id));
    const before = await fromPulls();
    const [{ v } = { v: 0 }] = await queryRows<{ v: number }>(stack.database.db, sql`select version as v from stories where id = ${story.id}`);
    for (let i = 0; i < 2; i++) {
      const run = await stack.pullNow(bound.binding.id);
      expect(run.counts).toMatchObject({ updated: 0, failed: 0 });
    }
    expect(await fromPulls()).toBe(before);
    expect(await stack.database.db.$count(stories, eq(stories.version, v))).toBeGreaterThan(0);
  });
});
