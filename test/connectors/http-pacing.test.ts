import { describe, expect, it } from 'vitest';
import { isTransientError } from '../../connectors/errors';
import { Pacer, followLinks, paginateOffset, parseLinkHeader } from '../../connectors/http';
import { DATE, NOW, client, failure } from './scripted-http';

describe('Pacer', () => {
  it('caps the rate with a token bucket', () => {
    let now = NOW;
    const pacer = new Pacer({ maxRequestsPerSecond: 5, lowRemaining: 50 }, () => now);
    const waits = Array.from({ length: 7 }, () => pacer.reserve('core'));
    expect(waits.slice(0, 5)).toEqual([0, 0, 0, 0, 0]);
    expect(waits[5]).toBeCloseTo(200);
    expect(waits[6]).toBeCloseTo(400);
    now += 1_000;
    expect(pacer.reserve('core')).toBe(0);
  });

  it('spreads the last requests of a remote budget until its reset', () => {
    const now = NOW;
    const pacer = new Pacer({ maxRequestsPerSecond: 1000, lowRemaining: 50 }, () => now);
    pacer.observe('core', new Headers({ date: DATE, 'x-ratelimit-remaining': '10', 'x-ratelimit-reset': String(NOW / 1000 + 100) }));
    expect(pacer.reserve('core')).toBeCloseTo(10_000);
    expect(pacer.reserve('core')).toBeCloseTo(10_000 + 100_000 / 9);
    // Another budget (GitHub's search) is not slowed by this one.
    expect(pacer.reserve('search')).toBe(0);
  });

  it('reads a budget from the headers a connector names (GitLab\'s ratelimit-*), and ignores x-ratelimit-* then', () => {
    const pacer = new Pacer({ maxRequestsPerSecond: 1000, lowRemaining: 50, rateLimitHeaders: [{ remaining: 'ratelimit-remaining', reset: 'ratelimit-reset' }] }, () => NOW);
    pacer.observe('core', new Headers({ date: DATE, 'ratelimit-remaining': '10', 'ratelimit-reset': String(NOW / 1000 + 100) }));
    expect(pacer.reserve('core')).toBeCloseTo(10_000);
    const plain = new Pacer({ maxRequestsPerSecond: 1000, lowRemaining: 50, rateLimitHeaders: [{ remaining: 'ratelimit-remaining', reset: 'ratelimit-reset' }] }, () => NOW);
    plain.observe('core', new Headers({ date: DATE, 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(NOW / 1000 + 100) }));
    expect(plain.reserve('core')).toBe(0);
  });

  it('paces a budget counted in points by what the last request cost (Linear\'s complexity), beside its request budget', () => {
    const linear = [
      { remaining: 'x-ratelimit-requests-remaining', reset: 'x-ratelimit-requests-reset' },
      { remaining: 'x-ratelimit-complexity-remaining', reset: 'x-ratelimit-complexity-reset', cost: 'x-complexity' },
    ];
    const pacer = new Pacer({ maxRequestsPerSecond: 1000, lowRemaining: 50, rateLimitHeaders: linear }, () => NOW);
    // 1,400 requests left (plenty), but 10,000 points at 500 a query is 20 queries for the next 100 s.
    pacer.observe('core', new Headers({
      date: DATE,
      'x-ratelimit-requests-remaining': '1400', 'x-ratelimit-requests-reset': String(NOW + 3_600_000),
      'x-ratelimit-complexity-remaining': '10000', 'x-ratelimit-complexity-reset': String(NOW + 100_000), 'x-complexity': '500',
    }));
    expect(pacer.reserve('core')).toBeCloseTo(5_000);
    expect(pacer.reserve('core')).toBeCloseTo(5_000 + 100_000 / 19);
    // A query that spent the points waits for the window.
    pacer.observe('core', new Headers({
      date: DATE,
      'x-ratelimit-requests-remaining': '1398', 'x-ratelimit-requests-reset': String(NOW + 3_600_000),
      'x-ratelimit-complexity-remaining': '300', 'x-ratelimit-complexity-reset': String(NOW + 100_000), 'x-complexity': '500',
    }));
    expect(pacer.reserve('core')).toBeCloseTo(100_000);
  });

  it('makes the client fail fast when the budget is spent for longer than it may sleep', async () => {
    const { http, calls } = client([
      { status: 200, body: 1, headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(NOW / 1000 + 600) } },
      { status: 200, body: 2 },
    ]);
    await http.json({ path: '/x' });
    const error = await failure(http.json({ path: '/x' }));
    expect(isTransientError(error)).toBe(true);
    expect(error.retryAfterMs).toBeCloseTo(600_000, -3);
    expect(calls).toHaveLength(1);
  });
});

describe('paginators', () => {
  it('parses Link headers', () => {
    const header = '<https://api.github.com/repositories/1/issues?page=2>; rel="next", <https://api.github.com/repositories/1/issues?page=5>; rel="last"';
    expect(parseLinkHeader(header)).toEqual({
      next: 'https://api.github.com/repositories/1/issues?page=2',
      last: 'https://api.github.com/repositories/1/issues?page=5',
    });
    expect(parseLinkHeader(null)).toEqual({});
  });

  it('follows rel="next" to the last page', async () => {
    const base = 'https://api.example.test/api/v3';
    const { http, calls } = client([
      { status: 200, body: [1, 2], headers: { link: `<${base}/items?page=2>; rel="next"` } },
      { status: 200, body: [3], headers: { link: `<${base}/items?page=1>; rel="first"` } },
    ]);
    const pages = [];
    for await (const page of followLinks<number[]>(http, { path: '/items' })) pages.push(page.data);
    expect(pages).toEqual([[1, 2], [3]]);
    expect(calls[1]?.url).toBe(`${base}/items?page=2`);
  });

  it('pages by offset until total_count', async () => {
    const { http, calls } = client([
      { status: 200, body: { projects: [1, 2], total_count: 5, offset: 0, limit: 2 } },
      { status: 200, body: { projects: [3, 4], total_count: 5, offset: 2, limit: 2 } },
      { status: 200, body: { projects: [5], total_count: 5, offset: 4, limit: 2 } },
    ]);
    const pages = [];
    for await (const page of paginateOffset<number>(http, { path: '/projects.json' }, { itemsKey: 'projects', limit: 2 })) pages.push(page);
    expect(pages.map((p) => p.items)).toEqual([[1, 2], [3, 4], [5]]);
    expect(pages.map((p) => p.nextOffset)).toEqual([2, 4, null]);
    expect(pages[0]?.total).toBe(5);
    expect(calls.map((c) => new URL(c.url).searchParams.get('offset'))).toEqual(['0', '2', '4']);
  });
});
