import pino from 'pino';
import { connect as connectDefinition } from '../../connectors/connect';
import { capability } from '../../connectors/define';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { github } from '../../connectors/github';
import { type RemoteError, isAuthError, isConflictError, isRemoteError, isTransientError } from '../../connectors/errors';
import type { ConnectorClient, Json, PullPage, RemoteItem } from '../../connectors/types';
import { type GitHubDouble, startGitHubDouble } from '../support/github-double';

const REPO = 'acme/widgets';
const logger = pino({ level: 'silent' });
let gh: GitHubDouble;

beforeEach(async () => {
  gh = await startGitHubDouble({ now: '2024-06-01T12:00:00Z', login: 'sync-bot' });
  gh.createRepo(REPO);
});
afterEach(async () => {
  await gh.close();
});

function connect(config: Record<string, unknown> = {}, token = gh.token): ConnectorClient {
  return connectDefinition(github, {
    config: github.configSchema.parse({ baseUrl: gh.url, ...config }),
    secrets: github.secretsSchema.parse({ token }),
    logger,
  });
}

async function pages(client: ConnectorClient, cursor: Json | null, limit = Infinity): Promise<PullPage[]> {
  const out: PullPage[] = [];
  for await (const page of client.pull(REPO, cursor)) {
    out.push(page);
    if (out.length >= limit) break;
  }
  return out;
}

const ids = (items: RemoteItem[]) => items.map((i) => Number(i.remoteId));
const issueNumbers = () => gh.listIssues(REPO).filter((i) => !i.pull_request).map((i) => i.number);

async function failure(promise: Promise<unknown>): Promise<RemoteError> {
  const error: unknown = await promise.then(() => undefined, (e: unknown) => e);
  if (!isRemoteError(error)) throw new Error(`expected a RemoteError, got ${String(error)}`);
  return error;
}

describe('pull', () => {
  it('lists every issue once, oldest update first, skipping pull requests', async () => {
    const seeded = gh.seedIssues(REPO, 250, { seed: 3 });
    expect(seeded.pullRequests).toBeGreaterThan(0);
    const result = await pages(connect(), null);
    const items = result.flatMap((p) => p.items);

    expect(ids(items).sort((a, b) => a - b)).toEqual(issueNumbers().sort((a, b) => a - b));
    expect(items.map((i) => Date.parse(i.updatedAt))).toEqual([...items.map((i) => Date.parse(i.updatedAt))].sort((a, b) => a - b));
    expect(result.slice(0, -1).every((p) => p.next !== null && p.watermark === null)).toBe(true);
    const last = result.at(-1);
    expect(last?.next).toBeNull();
    expect(last?.watermark).toMatchObject({ phase: 'watermark' });
    const sample = items[0] as RemoteItem;
    expect(sample.key).toBe(`${REPO}#${sample.remoteId}`);
    expect(sample.fields.labels).toEqual([...sample.fields.labels].sort());
  });

  it('resumes mid-listing from a page cursor, without missing an issue edited meanwhile', async () => {
    gh.seedIssues(REPO, 250, { seed: 5, pullRequestRatio: 0 });
    const [first] = await pages(connect(), null, 1);
    expect(first?.next).not.toBeNull();
    // While the worker is dead, an issue already read is edited: on a page-numbered walk it would
    // move to the end and push the first unread issue back onto the page already read.
    const alreadyRead = Number(first?.items[3]?.remoteId);
    gh.editIssue(REPO, alreadyRead, { title: 'edited mid-listing' });
    gh.resetRequests();

    const rest = await pages(connect(), first?.next ?? null);
    const firstSince = gh.requests({ path: `/repos/${REPO}/issues` })[0]?.query.since;
    expect(firstSince).toBeDefined();
    const all = new Set([...ids(first?.items ?? []), ...ids(rest.flatMap((p) => p.items))]);
    expect([...all].sort((a, b) => a - b)).toEqual(issueNumbers().sort((a, b) => a - b));
    expect(rest.flatMap((p) => p.items).find((i) => i.remoteId === String(alreadyRead))?.fields.title).toBe('edited mid-listing');
  });

  it('run one page per activity, as the sync workflow does, yields each issue once', async () => {
    gh.seedIssues(REPO, 350, { seed: 12, spanDays: 2 });
    const yielded: RemoteItem[] = [];
    let cursor: Json | null = null;
    let watermark: Json | null = null;
    for (let activity = 0; activity < 20; activity++) {
      const [page] = await pages(connect(), cursor, 1);
      yielded.push(...(page?.items ?? []));
      if (!page?.next) {
        watermark = page?.watermark ?? null;
        break;
      }
      cursor = page.next;
    }
    expect(ids(yielded)).toHaveLength(new Set(ids(yielded)).size);
    expect(ids(yielded).sort((a, b) => a - b)).toEqual(issueNumbers().sort((a, b) => a - b));
    gh.resetRequests();
    expect((await pages(connect(), watermark))[0]?.notModified).toBe(true);
  });

  it('steps through pages when more than a page of issues share one updated_at second', async () => {
    gh.seedIssues(REPO, 250, { seed: 6, spanDays: 0 });
    const result = await pages(connect(), null);
    const items = result.flatMap((p) => p.items);
    expect(ids(items).sort((a, b) => a - b)).toEqual(issueNumbers().sort((a, b) => a - b));
    // Three pages of one query, plus the first page of the next since, for its ETag.
    expect(gh.pageRequests(REPO)).toBe(4);
  });

  it('an unchanged repository costs one request answered 304', async () => {
    gh.seedIssues(REPO, 120, { seed: 9 });
    const client = connect();
    const watermark = (await pages(client, null)).at(-1)?.watermark ?? null;
    gh.resetRequests();

    const poll = await pages(connect(), watermark);
    expect(poll).toEqual([{ items: [], next: null, watermark, notModified: true }]);
    expect(gh.requests().map((r) => [r.status, r.conditional])).toEqual([[304, true]]);
  });

  it('an incremental pull after an edit returns the change, then goes quiet again', async () => {
    gh.seedIssues(REPO, 50, { seed: 11, pullRequestRatio: 0 });
    const watermark = (await pages(connect(), null)).at(-1)?.watermark ?? null;
    gh.advanceTime(60_000);
    gh.editIssue(REPO, 7, { title: 'changed remotely', labels: ['bug'] });

    const changed = await pages(connect(), watermark);
    const items = changed.flatMap((p) => p.items);
    expect(ids(items)).toContain(7);
    const since = Date.parse((watermark as { since: string }).since);
    expect(items.every((i) => Date.parse(i.updatedAt) >= since)).toBe(true);
    expect(items.find((i) => i.remoteId === '7')?.fields).toMatchObject({ title: 'changed remotely', labels: ['bug'] });

    gh.resetRequests();
    const quiet = await pages(connect(), changed.at(-1)?.watermark ?? null);
    expect(quiet[0]?.notModified).toBe(true);
    expect(gh.countRequests()).toBe(1);
  });

  it('honours retry-after on a 403 secondary rate limit', async () => {
    gh.seedIssues(REPO, 30, { seed: 2 });
    gh.secondaryRateLimit({ retryAfter: 1, path: `/repos/${REPO}/issues` });
    const started = Date.now();
    const items = (await pages(connect(), null)).flatMap((p) => p.items);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    expect(items.length).toBe(issueNumbers().length);
    expect(gh.requests({ path: `/repos/${REPO}/issues` }).map((r) => r.status).slice(0, 2)).toEqual([403, 200]);
  });

  it('hands a long secondary limit back to Temporal with retryAfterMs', async () => {
    gh.secondaryRateLimit({ retryAfter: 120, path: `/repos/${REPO}/issues` });
    const error = await failure(pages(connect(), null));
    expect(isTransientError(error)).toBe(true);
    expect(error.retryAfterMs).toBe(120_000);
    expect(gh.countRequests()).toBe(1);
  });

  it('recovers from a burst of 502s', async () => {
    gh.seedIssues(REPO, 10, { seed: 4 });
    gh.failNext(2, 502);
    const items = (await pages(connect(), null)).flatMap((p) => p.items);
    expect(items.length).toBe(issueNumbers().length);
    expect(gh.countRequests({ status: 502 })).toBe(2);
  });
});

describe('reads', () => {
  it('a bad token is an AuthError, and testConnection says so', async () => {
    const client = connect({}, 'ghp_wrong');
    const error = await failure(client.getItem(REPO, '1'));
    expect(isAuthError(error)).toBe(true);
    expect(error.message).not.toContain('ghp_wrong');
    await expect(client.testConnection()).resolves.toMatchObject({ ok: false });
    await expect(connect().testConnection()).resolves.toMatchObject({ ok: true, account: 'sync-bot' });
  });

  it('getItem maps an issue, and answers null for a pull request or a deleted issue', async () => {
    const issue = gh.addIssue(REPO, { title: 'Crash', body: 'Steps', labels: ['wontfix', 'bug'], assignees: ['mona'] });
    const pr = gh.addIssue(REPO, { title: 'Fix', pullRequest: true });
    const gone = gh.addIssue(REPO, { title: 'Gone' });
    gh.deleteIssue(REPO, gone.number);
    const client = connect();
    await expect(client.getItem(REPO, String(issue.number))).resolves.toMatchObject({
      remoteId: String(issue.number),
      fields: { title: 'Crash', description: 'Steps', status: 'open', closed: false, priority: null, assignee: 'mona', labels: ['bug', 'wontfix'], customFields: {} },
      commentCount: 0,
    });
    await expect(client.getItem(REPO, String(pr.number))).resolves.toBeNull();
    await expect(client.getItem(REPO, String(gone.number))).resolves.toBeNull();
  });

  it('lists scopes grouped by owner', async () => {
    gh.createRepo('sync-bot/notes');
    const groups = await connect().listScopes();
    expect(groups).toEqual([
      { group: 'acme', scopes: [expect.objectContaining({ id: REPO, name: 'widgets' })] },
      { group: 'sync-bot', scopes: [expect.objectContaining({ id: 'sync-bot/notes', name: 'notes' })] },
    ]);
  });
});

describe('writes', () => {
  const fields = {
    title: 'From the hub', description: 'Body text\n', status: 'open', closed: false,
    priority: null, assignee: 'mona', labels: ['bug'], customFields: {},
  };

  it('creates with a hidden marker that reads never show, and finds it again by marker', async () => {
    gh.seedIssues(REPO, 20, { seed: 8 });
    const client = connect();
    const created = await capability(client, 'writer').createItem(REPO, { fields, marker: 'tb-b1-s42' });
    const stored = gh.getIssue(REPO, Number(created.remoteId));
    expect(stored?.body).toBe('Body text\n\n\n<!-- trackbridge:tb-b1-s42 -->');
    expect(created.fields).toMatchObject({ title: 'From the hub', description: 'Body text\n', assignee: 'mona', labels: ['bug'] });
    expect((await client.getItem(REPO, created.remoteId))?.fields.description).toBe('Body text\n');
    const pulled = (await pages(client, null)).flatMap((p) => p.items).find((i) => i.remoteId === created.remoteId);
    expect(pulled?.fields.description).toBe('Body text\n');

    await expect(capability(client, 'writer').findByMarker(REPO, 'tb-b1-s42')).resolves.toMatchObject({ remoteId: created.remoteId });
    await expect(capability(client, 'writer').findByMarker(REPO, 'tb-b1-s4')).resolves.toBeNull();
  });

  it('finds a marker that search has not indexed yet', async () => {
    gh.setSearchLag(60_000);
    const client = connect();
    const created = await capability(client, 'writer').createItem(REPO, { fields: { ...fields, closed: true, status: 'closed' }, marker: 'tb-lag' });
    expect(created.fields.closed).toBe(true);
    await expect(capability(client, 'writer').findByMarker(REPO, 'tb-lag')).resolves.toMatchObject({ remoteId: created.remoteId });
    expect(gh.countRequests({ path: '/search/issues' })).toBe(1);
  });

  it('updates fields, refuses a stale version, and closes as not planned on delete', async () => {
    const client = connect();
    const created = await capability(client, 'writer').createItem(REPO, { fields, marker: 'tb-upd' });
    const updated = await capability(client, 'writer').updateItem(REPO, created.remoteId, { title: 'Renamed', closed: true, assignee: null, labels: [] }, created.version);
    expect(updated.fields).toMatchObject({ title: 'Renamed', status: 'closed', closed: true, assignee: null, labels: [] });

    gh.editIssue(REPO, Number(created.remoteId), { title: 'Edited on GitHub' });
    expect(isConflictError(await failure(capability(client, 'writer').updateItem(REPO, created.remoteId, { title: 'Stale' }, updated.version)))).toBe(true);
    expect(gh.getIssue(REPO, Number(created.remoteId))?.title).toBe('Edited on GitHub');

    await capability(client, 'writer').deleteItem!(REPO, created.remoteId);
    expect(gh.getIssue(REPO, Number(created.remoteId))).toMatchObject({ state: 'closed', state_reason: 'not_planned' });
  });

  it('adds, edits and lists comments', async () => {
    const client = connect();
    const issue = gh.addIssue(REPO, { title: 'Talk' });
    gh.addComment(REPO, issue.number, 'first', { user: 'mona' });
    const added = await capability(client, 'comments').addComment(REPO, String(issue.number), 'from the hub');
    expect(added).toMatchObject({ author: 'sync-bot', body: 'from the hub' });
    const edited = await capability(client, 'comments').updateComment!(REPO, String(issue.number), added.remoteId, 'edited');
    expect(edited.body).toBe('edited');
    const comments = await client.listComments(REPO, String(issue.number));
    expect(comments.map((c) => [c.author, c.body])).toEqual([['mona', 'first'], ['sync-bot', 'edited']]);
    const since = await client.listComments(REPO, String(issue.number), added.createdAt);
    expect(since.map((c) => c.body)).toEqual(['edited']);
  });
});
