import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../db/client';
import { loadPlugins } from '../plugins/load';
import { pruneHistory } from '../db/retention';
import { hookCalls, type HookCall } from './fixtures/plugins/hooks';
import { startGitHubDouble, type GitHubDouble } from './support/github-double';
import { eventually } from './support/harness';
import { startStack, type Stack } from './support/scenario';

const REPO = 'octo/hooks';
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('plugin hooks fired by the engine (GitHub double, real Temporal and Postgres)', () => {
  let stack: Stack;
  let gh: GitHubDouble;
  let bound: Awaited<ReturnType<Stack['bind']>>;

  /** The calls of one point for one story (or binding), once at least `n` have arrived. */
  const calls = (point: string, match: (c: HookCall) => boolean, n = 1) =>
    eventually(async () => {
      const found = hookCalls().filter((c) => c.point === point && c.hook.startsWith('record-') && match(c));
      return found.length >= n ? found : undefined;
    }, 30_000);
  const forStory = (id: string) => (c: HookCall) => c.payload.storyId === id;
  const runs = async (query = '') => (await stack.get(`/hooks/runs${query}`)) as { items: Json[]; nextCursor: string | null };
  const remoteNumber = async (storyId: string) =>
    Number(await eventually(async () => (await stack.get(`/stories/${storyId}`)).links.find((l: Json) => l.bindingId === bound.binding.id)?.remoteId as string | undefined));

  beforeAll(async () => {
    await loadPlugins(['./test/fixtures/plugins/hooks.ts']);
    stack = await startStack();
    gh = await startGitHubDouble();
    gh.createRepo(REPO);
    gh.seedIssues(REPO, 3);
    bound = await stack.bind('github', { baseUrl: gh.url, maxRequestsPerSecond: 100 }, { token: gh.token }, REPO);
  });
  afterAll(async () => {
    await gh?.close();
    await stack?.stop();
  });

  it('an initial sync fires item.pulled per created item, story.created from the pull, and sync.completed once', async () => {
    const { run } = await stack.initialSync(bound.binding.id);
    expect(run.status).toBe('completed');
    const pulled = await calls('item.pulled', (c) => c.payload.bindingId === bound.binding.id, 3);
    expect(pulled.map((c) => c.payload.outcome)).toEqual(['created', 'created', 'created']);
    expect(new Set(pulled.map((c) => c.payload.remoteId)).size).toBe(3);
    const created = await calls('story.created', (c) => c.payload.origin === bound.binding.id, 3);
    expect(created[0]!.payload).toMatchObject({ projectId: bound.project.id, fields: { title: expect.any(String) } });
    const [done] = await calls('sync.completed', (c) => c.payload.bindingId === bound.binding.id);
    expect(done!.payload).toMatchObject({ kind: 'initial', created: 3, failed: 0, items: 3 });
    // A firing id is one per firing: the three items are three firings.
    expect(new Set(pulled.map((c) => c.firingId)).size).toBe(3);
  });

  it('a hub story fires story.created (origin hub) and push.succeeded with its remote id; a failing hook never holds the push up', async () => {
    const story = await stack.post(`/projects/${bound.project.id}/stories`, { title: 'Hooked', labels: ['x'] });
    const [created] = await calls('story.created', forStory(story.id));
    expect(created!.payload).toMatchObject({ origin: 'hub', fields: { title: 'Hooked', labels: ['x'] } });
    const number = await remoteNumber(story.id);
    const [pushed] = await calls('push.succeeded', forStory(story.id));
    expect(pushed!.payload).toMatchObject({ bindingId: bound.binding.id, outcome: 'created', remoteId: String(number) });
    expect(gh.getIssue(REPO, number)?.title).toBe('Hooked');

    // The flaky hook failed its first attempt and was retried on the same firing id.
    const flaky = await eventually(async () => (await runs('?plugin=hooks-plugin&status=succeeded')).items.find((r) => r.hook === 'flaky' && r.firingId === Number(created!.firingId)));
    expect(flaky).toMatchObject({ attempts: 2, point: 'story.created' });
    expect(hookCalls().filter((c) => c.hook === 'flaky' && c.firingId === created!.firingId)).toHaveLength(1);

    // The refusing hook threw a PermanentError: failed after one attempt, with its message.
    const refused = await eventually(async () => (await runs('?status=failed')).items.find((r) => r.hook === 'refusing' && r.firingId === Number(pushed!.firingId)));
    expect(refused).toMatchObject({ attempts: 1, error: 'refusing: not for this project', point: 'push.succeeded' });

    // The broken hook is retrying with backoff while the story is already on GitHub: the sync went on.
    const broken = await eventually(async () => (await runs('?plugin=hooks-plugin')).items.find((r) => r.hook === 'broken' && r.firingId === Number(pushed!.firingId)));
    expect(broken.status).toBe('retrying');
    expect(broken.error).toBe('broken: the downstream system is down');
    // Five attempts (1 + 2 + 4 + 8 s of backoff), then it is recorded as failed.
    const failed = await eventually(async () => (await runs('?status=failed')).items.find((r) => r.hook === 'broken' && r.firingId === Number(pushed!.firingId)), 45_000, 500);
    expect(failed).toMatchObject({ attempts: 5, status: 'failed' });
  }, 90_000);

  it('an edit fires story.updated with the changed fields and push.succeeded (updated); a remote edit fires item.pulled (updated)', async () => {
    const story = await stack.post(`/projects/${bound.project.id}/stories`, { title: 'Before' });
    const number = await remoteNumber(story.id);
    await calls('push.succeeded', forStory(story.id));
    const ok = await stack.api.call('PATCH', `/stories/${story.id}`, { version: story.version, title: 'After' });
    expect(ok.status).toBe(200);
    const [updated] = await calls('story.updated', forStory(story.id));
    expect(updated!.payload).toMatchObject({ origin: 'hub', changed: ['title'] });
    const pushes = await calls('push.succeeded', forStory(story.id), 2);
    expect(pushes[1]!.payload).toMatchObject({ outcome: 'updated', fields: ['title'] });

    gh.editIssue(REPO, number, { title: 'Edited on GitHub' });
    await stack.pullNow(bound.binding.id);
    const [pulled] = await calls('item.pulled', (c) => c.payload.storyId === story.id && c.payload.outcome === 'updated');
    expect(pulled!.payload).toMatchObject({ bindingId: bound.binding.id, remoteId: String(number) });
    const fromPull = await calls('story.updated', (c) => c.payload.storyId === story.id && c.payload.origin === bound.binding.id);
    expect(fromPull[0]!.payload.changed).toEqual(['title']);
    const [completed] = await calls('sync.completed', (c) => c.payload.bindingId === bound.binding.id && c.payload.kind === 'pull');
    expect(completed!.payload).toMatchObject({ updated: 1 });
  }, 60_000);

  it('a rejected write fires deadletter.created and push.failed (permanent); a remote outage fires push.failed (not permanent)', async () => {
    const story = await stack.post(`/projects/${bound.project.id}/stories`, { title: 'Doomed' });
    await remoteNumber(story.id);
    await calls('push.succeeded', forStory(story.id));

    const refuse = gh.failNext(1, 422, { method: 'PATCH' });
    await stack.api.call('PATCH', `/stories/${story.id}`, { version: story.version, title: 'Rejected' });
    const [dead] = await calls('deadletter.created', forStory(story.id));
    const letters = (await stack.get(`/bindings/${bound.binding.id}/dead-letters`)).items as Json[];
    expect(letters.map((l) => l.id)).toContain(dead!.payload.deadLetterId);
    const [failed] = await calls('push.failed', forStory(story.id));
    expect(failed!.payload).toMatchObject({ permanent: true, bindingId: bound.binding.id });
    expect(refuse.hits).toBe(1);

    const current = await stack.get(`/stories/${story.id}`);
    const outage = gh.inject({ fault: { kind: 'status', status: 503 }, method: 'PATCH', times: Infinity });
    await stack.api.call('PATCH', `/stories/${story.id}`, { version: current.version, title: 'During the outage' });
    const transient = await calls('push.failed', (c) => c.payload.storyId === story.id && c.payload.permanent === false);
    expect(transient[0]!.payload.error).toMatch(/503/);
    outage.cancel();
    // The backlog delivers it once the remote is back, and that fires push.succeeded.
    await calls('push.succeeded', (c) => c.payload.storyId === story.id && c.payload.outcome === 'updated');
  }, 90_000);

  it('pausing a binding fires binding.paused; deleting a story fires story.deleted', async () => {
    const story = await stack.post(`/projects/${bound.project.id}/stories`, { title: 'Short-lived' });
    const del = await stack.api.call('DELETE', `/stories/${story.id}?version=${story.version}`);
    expect(del.status).toBe(200);
    const [deleted] = await calls('story.deleted', forStory(story.id));
    expect(deleted!.payload).toMatchObject({ projectId: bound.project.id, origin: 'hub' });

    await stack.post(`/bindings/${bound.binding.id}/pause`);
    const [paused] = await calls('binding.paused', (c) => c.payload.bindingId === bound.binding.id);
    expect(paused!.payload).toMatchObject({ projectId: bound.project.id, reason: 'by an operator' });
  });

  it('GET /hooks/runs pages newest first and refuses a forged cursor; firings are gone once handed to Temporal', async () => {
    const first = await runs('?limit=2');
    expect(first.items).toHaveLength(2);
    expect(first.nextCursor).toBeTruthy();
    const second = await runs(`?limit=2&cursor=${first.nextCursor}`);
    const key = (r: Json) => `${r.firingId}/${r.hook}`;
    expect(second.items.map(key).some((k) => first.items.map(key).includes(k))).toBe(false);
    expect(Date.parse(second.items[0]!.updatedAt)).toBeLessThanOrEqual(Date.parse(first.items[1]!.updatedAt));
    const forged = await stack.api.call('GET', '/hooks/runs?cursor=bm90LWEtY3Vyc29y');
    expect(forged.status).toBe(400);
    expect(((await forged.json()) as Json).error.fields[0].path).toBe('query.cursor');
    await eventually(async () => (await queryRows<{ n: number }>(stack.database.db, sql`select count(*)::int as n from hook_firings`))[0]!.n === 0);
  });

  it('hook runs and finished jobs past their retention are pruned; recent ones and running jobs stay', async () => {
    const db = stack.database.db;
    const now = new Date();
    const daysAgo = (d: number) => new Date(now.getTime() - d * 86_400_000).toISOString();
    await db.execute(sql`insert into hook_runs (firing_id, plugin, hook, point, status, attempts, fired_at, updated_at) values
      (900001, 'old-plugin', 'h', 'story.created', 'succeeded', 1, ${daysAgo(20)}, ${daysAgo(20)}),
      (900002, 'old-plugin', 'h', 'story.created', 'failed', 5, ${daysAgo(3)}, ${daysAgo(3)})`);
    await db.execute(sql`insert into jobs (id, plugin, action, params, status, created_at, finished_at) values
      ('00000000-0000-4000-8000-000000000001', 'p', 'a', '{}', 'succeeded', ${daysAgo(40)}, ${daysAgo(40)}),
      ('00000000-0000-4000-8000-000000000002', 'p', 'a', '{}', 'running', ${daysAgo(40)}, null),
      ('00000000-0000-4000-8000-000000000003', 'p', 'a', '{}', 'failed', ${daysAgo(5)}, ${daysAgo(5)})`);
    expect(await pruneHistory(db, { hookRuns: 14, jobs: 30, outbox: 30, explain: 90 }, now)).toMatchObject({ hookRuns: 1, jobs: 1 });
    const left = await queryRows<{ firing_id: number }>(db, sql`select firing_id from hook_runs where plugin = 'old-plugin'`);
    expect(left.map((r) => Number(r.firing_id))).toEqual([900002]);
    const jobs = await queryRows<{ id: string }>(db, sql`select id from jobs where plugin = 'p' order by id`);
    expect(jobs.map((j) => j.id.slice(-1))).toEqual(['2', '3']);
  });
});
