import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startGitHubDouble, type GitHubDouble, type GitHubIssue } from './support/github-double';

const REPO = 'acme/widgets';
let gh: GitHubDouble;

beforeEach(async () => {
  gh = await startGitHubDouble({ now: '2024-06-01T12:00:00Z', login: 'sync-bot' });
  gh.createRepo(REPO);
});
afterEach(async () => {
  await gh.close();
});

function call(path: string, init: RequestInit & { token?: string } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (!headers.has('authorization')) headers.set('authorization', `Bearer ${init.token ?? gh.token}`);
  if (init.body !== undefined) headers.set('content-type', 'application/json');
  return fetch(path.startsWith('http') ? path : `${gh.url}${path}`, { ...init, headers });
}
const nextLink = (res: Response): string | undefined => /<([^>]+)>; rel="next"/.exec(res.headers.get('link') ?? '')?.[1];

/** Follows rel="next" from `path` the way a client should: opaquely. */
async function walk(path: string): Promise<{ items: GitHubIssue[]; pages: number }> {
  const items: GitHubIssue[] = [];
  let url: string | undefined = path;
  let pages = 0;
  while (url) {
    const res = await call(url);
    expect(res.status).toBe(200);
    items.push(...((await res.json()) as GitHubIssue[]));
    pages++;
    url = nextLink(res);
  }
  return { items, pages };
}

describe('listing and pagination', () => {
  it('walks every page through Link rel="next" and misses nothing', async () => {
    gh.seedIssues(REPO, 1050, { seed: 7 });
    const { items, pages } = await walk(`/repos/${REPO}/issues?state=all&sort=updated&direction=asc&per_page=100`);
    expect(pages).toBe(11);
    expect(new Set(items.map((i) => i.number)).size).toBe(1050);
    const stamps = items.map((i) => i.updated_at);
    expect([...stamps].sort()).toEqual(stamps);
    expect(gh.pageRequests(REPO)).toBe(11);
  });

  it('offers prev, next, last and first on a middle page, built from the request host', async () => {
    gh.seedIssues(REPO, 250);
    const res = await call(`/repos/${REPO}/issues?state=all&per_page=50&page=3`);
    const link = res.headers.get('link') ?? '';
    for (const rel of ['prev', 'next', 'last', 'first']) expect(link).toContain(`rel="${rel}"`);
    expect(link).toContain(`<${gh.url}/repositories/`);
    expect(link).toMatch(/page=5>; rel="last"/);
    gh.createRepo('acme/small');
    gh.seedIssues('acme/small', 5);
    expect((await call('/repos/acme/small/issues?state=all')).headers.get('link')).toBeNull();
  });

  it('defaults to 30 open issues per page and caps per_page at 100', async () => {
    gh.seedIssues(REPO, 400, { closedRatio: 0 });
    expect(((await (await call(`/repos/${REPO}/issues`)).json()) as unknown[]).length).toBe(30);
    expect(((await (await call(`/repos/${REPO}/issues?per_page=500`)).json()) as unknown[]).length).toBe(100);
  });

  it('mixes pull requests into the issues listing', async () => {
    gh.seedIssues(REPO, 500, { pullRequestRatio: 0.1 });
    gh.addIssue(REPO, { title: 'Fix pagination', pullRequest: true });
    const { items } = await walk(`/repos/${REPO}/issues?state=all&per_page=100`);
    const pulls = items.filter((i) => i.pull_request !== undefined);
    expect(pulls.length).toBeGreaterThan(20);
    expect(pulls.at(0)?.html_url).toMatch(/\/pull\/\d+$/);
    expect(items.filter((i) => i.pull_request === undefined).length).toBeGreaterThan(400);
  });

  it('filters by since, inclusive of the instant given', async () => {
    gh.seedIssues(REPO, 300);
    gh.advanceTime(60_000);
    const cutoff = gh.now().toISOString();
    const edited = [5, 17, 230].map((n) => gh.editIssue(REPO, n, { title: `Edited ${n}` }));
    expect(edited[0]?.updated_at).toBe(cutoff.replace('.000Z', 'Z'));
    const { items } = await walk(`/repos/${REPO}/issues?state=all&sort=updated&direction=asc&since=${cutoff}`);
    expect(items.map((i) => i.number)).toEqual([5, 17, 230]);
    const later = await walk(`/repos/${REPO}/issues?state=all&since=${edited[1]?.updated_at}`);
    expect(later.items.map((i) => i.number).sort((a, b) => a - b)).toEqual([17, 230]);
  });

  it('answers 410 for a deleted issue and drops it from listings', async () => {
    gh.seedIssues(REPO, 10);
    gh.deleteIssue(REPO, 4);
    expect((await call(`/repos/${REPO}/issues/4`)).status).toBe(410);
    const { items } = await walk(`/repos/${REPO}/issues?state=all`);
    expect(items.map((i) => i.number)).not.toContain(4);
    expect((await call('/repos/acme/missing')).status).toBe(404);
  });
});

describe('conditional requests and rate limits', () => {
  it('returns 304 for a matching ETag without spending the rate limit', async () => {
    gh.seedIssues(REPO, 20);
    const first = await call(`/repos/${REPO}/issues?state=all`);
    const etag = first.headers.get('etag') ?? '';
    expect(etag).toMatch(/^"[0-9a-f]+"$/);
    const remaining = Number(first.headers.get('x-ratelimit-remaining'));
    const again = await call(`/repos/${REPO}/issues?state=all`, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
    expect(Number(again.headers.get('x-ratelimit-remaining'))).toBe(remaining);
    expect(gh.requests({ conditional: true, status: 304 })).toHaveLength(1);
    gh.editIssue(REPO, 3, { body: 'changed' });
    const changed = await call(`/repos/${REPO}/issues?state=all`, { headers: { 'if-none-match': etag } });
    expect(changed.status).toBe(200);
    expect(Number(changed.headers.get('x-ratelimit-remaining'))).toBe(remaining - 1);
  });

  it('sends the rate-limit headers and refuses with 403 once the budget is spent, until reset', async () => {
    gh.setRateLimit({ limit: 100, remaining: 1, resetInMs: 60_000 });
    const last = await call('/user');
    expect(last.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(last.headers.get('x-ratelimit-used')).toBe('100');
    expect(last.headers.get('x-ratelimit-resource')).toBe('core');
    const refused = await call('/user');
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { message: string }).message).toMatch(/^API rate limit exceeded/);
    expect(Number(refused.headers.get('x-ratelimit-reset'))).toBe(Math.ceil((gh.now().getTime() + 60_000) / 1000));
    gh.advanceTime(61_000);
    expect((await call('/user')).status).toBe(200);
  });

  it('rejects a bad or revoked token with 401 Bad credentials', async () => {
    expect((await call('/user', { token: 'nope' })).status).toBe(401);
    expect((await call('/user', { headers: { authorization: `token ${gh.token}` } })).status).toBe(200);
    const old = gh.token;
    gh.revokeToken();
    const res = await call('/user', { token: old });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ message: 'Bad credentials' });
    gh.setToken('fresh');
    expect(await (await call('/user', { token: 'fresh' })).json()).toMatchObject({ login: 'sync-bot' });
  });
});

describe('fault injection', () => {
  it('answers 403 with retry-after for a secondary rate limit, then recovers', async () => {
    gh.secondaryRateLimit({ retryAfter: 30 });
    const limited = await call('/user');
    expect(limited.status).toBe(403);
    expect(limited.headers.get('retry-after')).toBe('30');
    expect(((await limited.json()) as { message: string }).message).toContain('secondary rate limit');
    expect(Number(limited.headers.get('x-ratelimit-remaining'))).toBeGreaterThan(0);
    expect((await call('/user')).status).toBe(200);
    gh.tooManyRequests({ retryAfter: 5 });
    const tooMany = await call('/user');
    expect([tooMany.status, tooMany.headers.get('retry-after')]).toEqual([429, '5']);
  });

  it('serves a burst of 502s only on matching paths, then recovers', async () => {
    gh.seedIssues(REPO, 5);
    const burst = gh.failNext(3, 502, { path: /\/issues$/ });
    expect((await call('/user')).status).toBe(200);
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await call(`/repos/${REPO}/issues`)).status);
    expect(statuses).toEqual([502, 502, 502, 200]);
    expect(burst.hits).toBe(3);
    expect(gh.countRequests({ status: 502 })).toBe(3);
  });

  it('holds a request until released and adds latency', async () => {
    const hang = gh.hangNext({ path: '/user' });
    let settled = false;
    const pending = call('/user').then((r) => { settled = true; return r.status; });
    // The request has reached the double and is held there: it cannot have been answered.
    await vi.waitFor(() => expect(hang.hits).toBe(1));
    expect(settled).toBe(false);
    hang.release();
    expect(await pending).toBe(200);
    gh.setLatency(40);
    const started = Date.now();
    await call('/user');
    expect(Date.now() - started).toBeGreaterThanOrEqual(35);
  });

  it('cuts the connection on a disconnect fault', async () => {
    gh.inject({ fault: { kind: 'disconnect' }, method: 'GET', match: (req) => req.query.page === '2' });
    await expect(call(`/repos/${REPO}/issues?page=2`)).rejects.toThrow();
    expect((await call(`/repos/${REPO}/issues?page=2`)).status).toBe(200);
  });
});

describe('writes and search', () => {
  it('creates, patches and comments, each moving updated_at forward', async () => {
    const created = await call(`/repos/${REPO}/issues`, { method: 'POST', body: JSON.stringify({ title: 'Hub story', body: 'text', labels: ['bug', 'from-hub'] }) });
    expect(created.status).toBe(201);
    const issue = (await created.json()) as GitHubIssue;
    expect(issue.labels.map((l) => l.name)).toEqual(['bug', 'from-hub']);
    const closed = (await (await call(`/repos/${REPO}/issues/${issue.number}`, {
      method: 'PATCH', body: JSON.stringify({ state: 'closed', state_reason: 'not_planned', assignees: ['octocat'] }),
    })).json()) as GitHubIssue;
    expect(closed.updated_at > issue.updated_at).toBe(true);
    expect([closed.state, closed.state_reason, closed.closed_at, closed.assignee?.login]).toEqual(['closed', 'not_planned', closed.updated_at, 'octocat']);
    const comment = await call(`/repos/${REPO}/issues/${issue.number}/comments`, { method: 'POST', body: JSON.stringify({ body: 'synced' }) });
    expect(comment.status).toBe(201);
    const afterComment = gh.getIssue(REPO, issue.number);
    expect(afterComment?.comments).toBe(1);
    expect((afterComment?.updated_at ?? '') > closed.updated_at).toBe(true);
    const { id } = (await comment.json()) as { id: number };
    const edited = await call(`/repos/${REPO}/issues/comments/${id}`, { method: 'PATCH', body: JSON.stringify({ body: 'synced again' }) });
    expect(await edited.json()).toMatchObject({ body: 'synced again' });
    const list = await call(`/repos/${REPO}/issues/${issue.number}/comments`);
    expect(((await list.json()) as Array<{ body: string }>).map((c) => c.body)).toEqual(['synced again']);
  });

  it('rejects an issue without a title with the documented 422 shape', async () => {
    const res = await call(`/repos/${REPO}/issues`, { method: 'POST', body: JSON.stringify({ body: 'no title' }) });
    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({ message: 'Validation Failed', errors: [{ resource: 'Issue', field: 'title', code: 'missing_field' }] });
    expect((await call(`/repos/${REPO}/issues`, { method: 'POST', body: '{nope' })).status).toBe(400);
  });

  it('finds a hidden marker in an issue body, after the configured index lag', async () => {
    gh.seedIssues(REPO, 200);
    gh.setSearchLag(5_000);
    const marker = 'trackbridge:story=01HZX3';
    await call(`/repos/${REPO}/issues`, { method: 'POST', body: JSON.stringify({ title: 'Pushed', body: `Text\n<!-- ${marker} -->` }) });
    const search = async (): Promise<{ total_count: number; items: GitHubIssue[] }> =>
      (await (await call(`/search/issues?q=${encodeURIComponent(`repo:${REPO} "${marker}" in:body`)}`)).json()) as { total_count: number; items: GitHubIssue[] };
    expect((await search()).total_count).toBe(0);
    gh.advanceTime(5_000);
    const found = await search();
    expect(found.total_count).toBe(1);
    expect(found.items[0]?.title).toBe('Pushed');
    expect(gh.rateLimit('search').used).toBe(2);
  });
});

describe('scope listing', () => {
  it('lists the user, orgs and org repositories with pagination', async () => {
    for (let i = 0; i < 3; i++) gh.createRepo(`acme/repo-${i}`);
    gh.createRepo('sync-bot/personal');
    expect(await (await call('/user')).json()).toMatchObject({ login: 'sync-bot' });
    expect(((await (await call('/user/orgs')).json()) as Array<{ login: string }>).map((o) => o.login)).toEqual(['acme']);
    const page = await call('/orgs/acme/repos?per_page=2');
    expect(((await page.json()) as unknown[]).length).toBe(2);
    expect(page.headers.get('link')).toContain('rel="last"');
    expect(((await (await call('/user/repos?per_page=100')).json()) as unknown[]).length).toBe(5);
    expect((await call('/orgs/nobody/repos')).status).toBe(404);
  });
});
