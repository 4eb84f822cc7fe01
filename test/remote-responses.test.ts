/**
 * Issue 10 §6: answers from a remote that a connector must survive. Each case replays a response a
 * real server can give (GitHub-shaped, through the GitHub double) and expects a classified error or a
 * bounded wait, never an endless loop or an unclassified TypeError.
 */
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { github } from '../connectors/github';
import { connect as connectDefinition } from '../connectors/connect';
import { redmine } from '../connectors/redmine';
import { isPermanentError, isRemoteError, type RemoteError } from '../connectors/errors';
import { MAX_PAGES_WITHOUT_PROGRESS } from '../connectors/http/progress';
import { Pacer, paginateOffset, parseRetryAfter } from '../connectors/http';
import { MAX_REMOTE_WAIT_MS } from '../connectors/http/classify';
import type { ConnectorClient, Json, PullPage } from '../connectors/types';
import { type GitHubDouble, startGitHubDouble } from './support/github-double';
import { client as scriptedClient, DATE, NOW } from './connectors/scripted-http';

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

function connect(config: Record<string, unknown> = {}): ConnectorClient {
  return connectDefinition(github, { config: github.configSchema.parse({ baseUrl: gh.url, ...config }), secrets: { token: gh.token }, logger });
}

async function failure(promise: Promise<unknown>): Promise<RemoteError> {
  const error: unknown = await promise.then(() => undefined, (e: unknown) => e);
  if (!isRemoteError(error)) throw new Error(`expected a RemoteError, got ${String(error)}`);
  return error;
}

/** Reads at most `limit` pages: a listing that never ends shows up as `limit` pages and no error. */
async function pullAtMost(client: ConnectorClient, cursor: Json | null, limit: number): Promise<PullPage[]> {
  const out: PullPage[] = [];
  for await (const page of client.pull(REPO, cursor)) {
    out.push(page);
    if (out.length >= limit) break;
  }
  return out;
}

describe('a remote that keeps answering rel="next" with items already seen', () => {
  it('ends an issue pull with a permanent error after a bounded number of pages', async () => {
    gh.seedIssues(REPO, 5, { seed: 3, pullRequestRatio: 0 });
    const samePage = gh.listIssues(REPO);
    // Every listing request is answered with the same five issues and a rel="next" link.
    const loop = gh.inject({
      path: `/repos/${REPO}/issues`, method: 'GET', times: Infinity,
      fault: { kind: 'status', status: 200, body: samePage, headers: { link: `<${gh.url}/repos/${REPO}/issues?page=2>; rel="next"` } },
    });
    const error = await failure(pullAtMost(connect(), null, 50));
    expect(isPermanentError(error)).toBe(true);
    expect(error.message).toMatch(/no new item/);
    expect(error.message).toContain(REPO);
    expect(loop.hits).toBe(MAX_PAGES_WITHOUT_PROGRESS + 1);
  });

  it('is bounded too when the pull is resumed one page per activity', async () => {
    gh.seedIssues(REPO, 5, { seed: 4, pullRequestRatio: 0 });
    gh.inject({
      path: `/repos/${REPO}/issues`, method: 'GET', times: Infinity,
      fault: { kind: 'status', status: 200, body: gh.listIssues(REPO), headers: { link: `<${gh.url}/repos/${REPO}/issues?page=2>; rel="next"` } },
    });
    let cursor: Json | null = null;
    let error: unknown;
    for (let activity = 0; activity < 50 && error === undefined; activity++) {
      try {
        cursor = (await pullAtMost(connect(), cursor, 1))[0]?.next ?? null;
      } catch (e) {
        error = e;
      }
    }
    expect(isPermanentError(error)).toBe(true);
  });

  it('ends a comment listing (rel="next" pagination) the same way', async () => {
    const issue = gh.addIssue(REPO, { title: 'Talk' });
    const comment = gh.addComment(REPO, issue.number, 'hello', { user: 'mona' });
    const loop = gh.inject({
      path: `/repos/${REPO}/issues/${issue.number}/comments`, method: 'GET', times: Infinity,
      fault: { kind: 'status', status: 200, body: [comment], headers: { link: `<${gh.url}/repos/${REPO}/issues/${issue.number}/comments?page=2>; rel="next"` } },
    });
    const error = await failure(connect().listComments(REPO, String(issue.number)));
    expect(isPermanentError(error)).toBe(true);
    expect(loop.hits).toBe(MAX_PAGES_WITHOUT_PROGRESS + 1);
  });

  it('ends an offset listing whose total_count is never reached (Redmine shape)', async () => {
    const page = { projects: [{ id: 1, name: 'A', identifier: 'a' }], total_count: 1_000, offset: 0, limit: 100 };
    const { http, calls } = scriptedClient(Array.from({ length: 50 }, () => ({ status: 200, body: page })));
    const pages: unknown[] = [];
    const listing = (async () => {
      for await (const p of paginateOffset(http, { path: '/projects.json' }, { itemsKey: 'projects' })) pages.push(p);
    })();
    expect(isPermanentError(await listing.then(() => undefined, (e: unknown) => e))).toBe(true);
    expect(calls).toHaveLength(MAX_PAGES_WITHOUT_PROGRESS + 1);
  });
});

describe('rate-limit waits the remote asks for', () => {
  const limited = (headers: Record<string, string>) => parseRetryAfter(new Headers({ date: DATE, 'x-ratelimit-remaining': '0', ...headers }), NOW);

  it('reads a reset sent in epoch milliseconds as milliseconds', () => {
    expect(limited({ 'x-ratelimit-reset': String(NOW + 90_000) })).toBe(90_000);
    expect(limited({ 'x-ratelimit-reset': String(NOW / 1000 + 90) })).toBe(90_000);
  });

  it('never waits longer than an hour, whatever the headers say', () => {
    expect(limited({ 'x-ratelimit-reset': String(NOW / 1000 + 30 * 86_400) })).toBe(MAX_REMOTE_WAIT_MS);
    expect(limited({ 'retry-after': '999999999' })).toBe(MAX_REMOTE_WAIT_MS);
    expect(limited({ 'retry-after': 'Fri, 31 Dec 9999 23:59:59 GMT' })).toBe(MAX_REMOTE_WAIT_MS);
  });

  it('paces an exhausted budget until a millisecond reset, not for millennia', () => {
    const pacer = new Pacer({ maxRequestsPerSecond: 10, lowRemaining: 50 }, () => NOW);
    pacer.observe('core', new Headers({ date: DATE, 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(NOW + 120_000) }));
    expect(pacer.reserve('core')).toBe(120_000);
  });

  it('ends a GitHub read with a transient error whose wait is the reset, when the reset is in milliseconds', async () => {
    const issue = gh.addIssue(REPO, { title: 'Limited' });
    const resetAt = gh.now().getTime() + 45_000;
    gh.inject({
      path: `/repos/${REPO}/issues/${issue.number}`,
      fault: { kind: 'status', status: 403, body: { message: 'API rate limit exceeded for user ID 1.' }, headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(resetAt), date: gh.now().toUTCString() } },
    });
    const error = await failure(connect({ maxInlineWaitSeconds: 0 }).getItem(REPO, String(issue.number)));
    expect(error.kind).toBe('transient');
    expect(error.retryAfterMs).toBe(45_000);
  });
});

/** A Redmine issue as GET /issues.json renders it (Redmine 5.1). */
const redmineIssue = (id: number, updatedOn: unknown) => ({
  id, project: { id: 1, name: 'Widgets' }, tracker: { id: 1, name: 'Bug' }, status: { id: 1, name: 'New', is_closed: false },
  priority: { id: 2, name: 'Normal' }, author: { id: 1, name: 'Redmine Admin' }, subject: `Issue ${id}`, description: 'text',
  start_date: '2024-05-01', due_date: null, done_ratio: 0, is_private: false, estimated_hours: null,
  created_on: '2024-05-01T10:00:00Z', updated_on: updatedOn, closed_on: null,
});

/** A fetch that answers every request with `body`. */
const answering = (body: unknown): typeof fetch => (async () => new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } })) as typeof fetch;

describe('a 2xx whose JSON is not the shape the connector reads', () => {
  it('GitHub: a listing item with a retyped field is a permanent "unexpected response" naming its path', async () => {
    gh.seedIssues(REPO, 5, { seed: 5, pullRequestRatio: 0 });
    const page = gh.listIssues(REPO).map((issue, i) => (i === 3 ? { ...issue, updated_at: 1717243200 } : issue));
    gh.inject({ path: `/repos/${REPO}/issues`, method: 'GET', fault: { kind: 'status', status: 200, body: page } });
    const error = await failure(pullAtMost(connect(), null, 5));
    expect(isPermanentError(error)).toBe(true);
    expect(error.message).toMatch(/unexpected response: \[3\]\.updated_at: expected string$/);
  });

  it('GitHub: an issue answer missing what we read (a proxy\'s JSON) names the field, not a TypeError', async () => {
    const issue = gh.addIssue(REPO, { title: 'Real' });
    gh.inject({ path: `/repos/${REPO}/issues/${issue.number}`, fault: { kind: 'status', status: 200, body: { ok: true } } });
    const error = await failure(connect().getItem(REPO, String(issue.number)));
    expect(isPermanentError(error)).toBe(true);
    expect(error.message).toMatch(/unexpected response: number: expected number \(and \d+ more\)$/);
  });

  it('GitHub: a comment list that is not a list is refused the same way', async () => {
    const issue = gh.addIssue(REPO, { title: 'Talk' });
    gh.inject({ path: `/repos/${REPO}/issues/${issue.number}/comments`, fault: { kind: 'status', status: 200, body: { comments: [] } } });
    const error = await failure(connect().listComments(REPO, String(issue.number)));
    expect(error.message).toMatch(/unexpected response: \(the whole answer\): expected array$/);
  });

  it('Redmine: issues[3].updated_on as a number is a permanent "unexpected response" naming the path', async () => {
    const body = { issues: [1, 2, 3, 4, 5].map((id, i) => redmineIssue(id, i === 3 ? 1717243200 : '2024-05-02T10:00:00Z')), total_count: 5, offset: 0, limit: 100 };
    const client = connectDefinition(redmine, {
      config: redmine.configSchema.parse({ baseUrl: 'https://redmine.example.test' }), secrets: { apiKey: 'k'.repeat(40) }, logger, fetch: answering(body),
    });
    const pages: PullPage[] = [];
    const error: unknown = await (async () => {
      for await (const page of client.pull('widgets', null)) pages.push(page);
    })().then(() => undefined, (e: unknown) => e);
    expect(isPermanentError(error)).toBe(true);
    expect((error as Error).message).toMatch(/unexpected response: issues\[3\]\.updated_on: expected string$/);
    expect(pages).toHaveLength(0);
  });

  it('keeps fields it does not read, untouched, in raw', async () => {
    const body = { issues: [{ ...redmineIssue(7, '2024-05-02T10:00:00Z'), fixed_version: { id: 3, name: '1.0' } }], total_count: 1, offset: 0, limit: 100 };
    const client = connectDefinition(redmine, {
      config: redmine.configSchema.parse({ baseUrl: 'https://redmine.example.test' }), secrets: { apiKey: 'k'.repeat(40) }, logger, fetch: answering(body),
    });
    const [page] = await (async () => {
      const out: PullPage[] = [];
      for await (const p of client.pull('widgets', null)) out.push(p);
      return out;
    })();
    expect(page?.items[0]?.raw).toMatchObject({ fixed_version: { id: 3, name: '1.0' }, tracker: { name: 'Bug' } });
  });
});
