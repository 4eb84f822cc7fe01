import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../db/client';
import { createApiToken } from '../db/tokens';
import { pruneHistory } from '../db/retention';
import { startGitHubDouble, type GitHubDouble } from './support/github-double';
import { eventually } from './support/harness';
import { startStack, type Stack } from './support/scenario';

const REPO = 'octo/explain';
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * The explain log (issue 15): GET /stories/{id}/activity and GET /bindings/{id}/activity list every
 * field a pull or a push wrote, with the rule, the policy, the base, hub and remote values and the
 * outcome, conflicts and comments included; paged, filtered, readable with a read token, pruned.
 */
describe('explain log (GitHub double, real Temporal and Postgres)', () => {
  let stack: Stack;
  let gh: GitHubDouble;
  let bound: Awaited<ReturnType<Stack['bind']>>;
  let storyId: string;
  let number: number;

  const activity = async (path: string) => (await stack.get(path)) as { items: Json[]; nextCursor: string | null };
  const entries = (query = '') => activity(`/stories/${storyId}/activity${query}`);

  beforeAll(async () => {
    stack = await startStack();
    gh = await startGitHubDouble();
    gh.createRepo(REPO);
    bound = await stack.bind('github', { baseUrl: gh.url, maxRequestsPerSecond: 100 }, { token: gh.token }, REPO);
    const rules = { fields: [
      { hub: 'title', remote: 'title', kind: 'two_way', policy: 'remote_wins' },
      { hub: 'description', remote: 'description', kind: 'two_way', policy: 'hub_wins' },
      { hub: 'status', remote: 'status', kind: 'two_way' },
    ] };
    expect((await stack.api.call('PUT', `/bindings/${bound.binding.id}/rules`, rules)).status).toBe(200);
    const story = await stack.post(`/projects/${bound.project.id}/stories`, { title: 'Base title', description: 'Base text' });
    storyId = story.id;
    number = Number(await eventually(async () =>
      (await stack.get(`/stories/${storyId}`)).links.find((l: Json) => l.bindingId === bound.binding.id && l.remoteId)?.remoteId as string | undefined, 60_000));
  });
  afterAll(async () => {
    await gh?.close();
    await stack?.stop();
  });

  it('records the create of the remote item, field by field', async () => {
    const { items } = await eventually(async () => {
      const page = await entries();
      return page.items.length >= 3 ? page : undefined;
    }, 60_000);
    expect(items.map((e) => e.field).sort()).toEqual(['description', 'status', 'title']);
    expect(items.find((e) => e.field === 'title')).toMatchObject({
      direction: 'create', kind: 'field', target: 'remote', rule: 'two_way', policy: 'remote_wins', base: null, hub: 'Base title', remote: null,
      written: 'Base title', outcome: 'sent with the new remote item', remoteId: String(number), bindingId: bound.binding.id, storyId,
    });
  });

  it('a pull records each hub write with its rule, policy and the base, hub and remote values', async () => {
    gh.editIssue(REPO, number, { title: 'Remote title' });
    const run = await stack.pullNow(bound.binding.id);
    expect(run.counts.updated).toBe(1);
    const entry = (await entries('?field=title')).items.find((e) => e.direction === 'pull');
    expect(entry).toMatchObject({
      direction: 'pull', kind: 'field', target: 'hub', field: 'title', remoteField: 'title', rule: 'two_way', policy: 'remote_wins',
      base: 'Base title', hub: 'Base title', remote: 'Remote title', written: 'Remote title', outcome: 'remote changed since the last sync',
      remoteId: String(number), remoteKey: expect.stringContaining(String(number)), runId: expect.any(String), storyVersion: 2,
    });
  });

  it('records a story created from a remote item as one create entry naming each field, its value and its rule', async () => {
    const issue = gh.addIssue(REPO, { title: 'Born remote', body: 'Remote body' });
    const run = await stack.pullNow(bound.binding.id);
    expect(run.counts.created).toBe(1);
    const link = await queryRows<{ story_id: string }>(stack.database.db, sql`select story_id from external_links where binding_id = ${bound.binding.id} and remote_id = ${String(issue.number)}`);
    const created = link[0]!.story_id;
    const { items } = await activity(`/stories/${created}/activity`);
    // One row for the whole story, however many fields the rules set.
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      direction: 'create', kind: 'create', target: 'hub', field: null, storyVersion: 1, runId: expect.any(String),
      written: { title: 'Born remote', description: 'Remote body', status: { status: 'open', closed: false } },
      rules: { title: { rule: 'two_way', remoteField: 'title', policy: 'remote_wins' }, description: { rule: 'two_way', remoteField: 'description', policy: 'hub_wins' } },
      outcome: 'new story from the remote item', remoteId: String(issue.number),
    });
    // A field filter finds the create entry that set it, and not for a field it did not set.
    expect((await activity(`/stories/${created}/activity?field=description`)).items).toHaveLength(1);
    expect((await activity(`/stories/${created}/activity?field=assignee`)).items).toHaveLength(0);
    expect((await activity(`/stories/${created}/activity?kind=create`)).items).toHaveLength(1);
  });

  it('a push records each remote write, and a field changed on both sides as a conflict settled by its policy', async () => {
    // Both sides edit the title (remote_wins) and the description (hub_wins) before the push reads the remote.
    gh.editIssue(REPO, number, { title: 'Remote again', body: 'Remote text' });
    const { version } = await stack.get(`/stories/${storyId}`);
    const res = await stack.api.call('PATCH', `/stories/${storyId}`, { version, title: 'Hub title', description: 'Hub text', status: 'closed', closed: true });
    expect(res.status).toBe(200);
    const conflicts = await eventually(async () => {
      const page = await entries('?kind=conflict');
      return page.items.length >= 2 ? page.items : undefined;
    }, 60_000);
    expect(conflicts.find((e) => e.field === 'title')).toMatchObject({
      direction: 'push', kind: 'conflict', target: 'hub', policy: 'remote_wins', base: 'Remote title', hub: 'Hub title', remote: 'Remote again',
      written: 'Remote again', outcome: 'conflict: remote wins (remote_wins)',
    });
    expect(conflicts.find((e) => e.field === 'description')).toMatchObject({
      direction: 'push', kind: 'conflict', target: 'remote', policy: 'hub_wins', base: 'Base text', hub: 'Hub text', written: 'Hub text',
      outcome: 'conflict: hub wins (hub_wins)',
    });
    const status = await eventually(async () => (await entries('?field=status')).items.find((e) => e.direction === 'push'));
    expect(status).toMatchObject({
      kind: 'field', target: 'remote', rule: 'two_way', policy: 'remote_wins', base: { status: 'open', closed: false }, hub: { status: 'closed', closed: true },
      remote: { status: 'open', closed: false }, written: { status: 'closed', closed: true }, outcome: 'hub changed since the last sync',
    });
    expect(gh.getIssue(REPO, number)).toMatchObject({ title: 'Remote again', state: 'closed' });
  });

  it('records comments crossing both ways', async () => {
    await stack.post(`/stories/${storyId}/comments`, { body: 'From the hub' });
    await eventually(async () => (await entries('?kind=comment')).items.find((e) => e.target === 'remote'), 60_000);
    gh.addComment(REPO, number, 'From GitHub', { user: 'octo-commenter' });
    await stack.pullNow(bound.binding.id);
    const comments = (await entries('?kind=comment')).items;
    expect(comments.map((e) => [e.direction, e.target, e.written, e.outcome])).toEqual(expect.arrayContaining([
      ['push', 'remote', 'From the hub', 'hub comment posted'],
      ['pull', 'hub', 'From GitHub', 'remote comment added'],
    ]));
  });

  it('pages newest first with a cursor, filters, and answers 404 and 400 as it should', async () => {
    const all = (await entries('?limit=200')).items;
    expect(all.length).toBeGreaterThan(4);
    expect(all.map((e) => e.id)).toEqual([...all.map((e) => e.id)].sort((a, b) => b - a));
    const seen: number[] = [];
    let cursor: string | null = '';
    while (cursor !== null) {
      const page = await entries(`?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((e) => e.id));
      cursor = page.nextCursor;
    }
    expect(seen).toEqual(all.map((e) => e.id));
    const byBinding = (await activity(`/bindings/${bound.binding.id}/activity?limit=200`)).items;
    // The binding's log also holds the story created from a remote item above.
    expect(byBinding.filter((e) => e.storyId === storyId).map((e) => e.id)).toEqual(all.map((e) => e.id));
    expect((await entries('?field=title')).items.every((e) => e.field === 'title')).toBe(true);

    const missing = '00000000-0000-4000-8000-000000000000';
    expect((await stack.api.call('GET', `/stories/${missing}/activity`)).status).toBe(404);
    expect((await stack.api.call('GET', `/bindings/${missing}/activity`)).status).toBe(404);
    const bad = await stack.api.call('GET', `/stories/${storyId}/activity?cursor=nope`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { fields: [{ path: 'query.cursor' }] } });
    expect((await stack.api.call('GET', `/stories/${storyId}/activity?kind=everything`)).status).toBe(400);
  });

  it('a read-only token may read it', async () => {
    const { token } = await createApiToken(stack.database.db, 'viewer', 'read');
    const res = await stack.api.app.request(`/stories/${storyId}/activity`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as Json).items.length).toBeGreaterThan(0);
  });

  it('the hourly prune drops entries past EXPLAIN_RETENTION_DAYS and keeps the rest', async () => {
    const count = async () => (await queryRows<{ n: number }>(stack.database.db, sql`select count(*)::int as n from activity where story_id = ${storyId}`))[0]!.n;
    const before = await count();
    await stack.database.db.execute(sql`update activity set at = now() - interval '100 days'
      where id in (select id from activity where story_id = ${storyId} order by id limit 2)`);
    const pruned = await pruneHistory(stack.database.db, { hookRuns: 14, jobs: 30, outbox: 30, explain: 90 });
    expect(pruned.explain).toBe(2);
    expect(await count()).toBe(before - 2);
    expect((await pruneHistory(stack.database.db, { hookRuns: 14, jobs: 30, outbox: 30, explain: 90 })).explain).toBe(0);
  });
});
