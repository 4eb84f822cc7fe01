import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RemoteError, isAuthError, isPermanentError, isRemoteError, isTransientError } from '../../connectors/errors';
import {
  Pacer, classifyResponse, createHttpClient, followLinks, paginateOffset, parseLinkHeader, parseRetryAfter, redact,
  type HttpClientOptions,
} from '../../connectors/http';
import { track } from '../support/resources';

const NOW = Date.parse('2024-06-01T12:00:00Z');
const DATE = new Date(NOW).toUTCString();
const TOKEN = 'ghp_supersecrettoken123';

function classify(status: number, headers: Record<string, string> = {}, bodyText = ''): RemoteError {
  return classifyResponse({ status, headers: new Headers({ date: DATE, ...headers }), bodyText, label: 'Test GET /x' }, NOW, 60_000);
}

describe('classifyResponse', () => {
  const reset = String(NOW / 1000 + 90);
  it.each([
    // status, headers, body, kind, retryAfterMs
    [500, {}, '', 'transient', undefined],
    [502, {}, '', 'transient', undefined],
    [503, { 'retry-after': '5' }, '', 'transient', 5_000],
    [504, {}, '', 'transient', undefined],
    [408, {}, '', 'transient', undefined],
    [429, { 'retry-after': '7' }, '', 'transient', 7_000],
    [429, {}, '', 'transient', 60_000],
    [403, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset }, '{"message":"API rate limit exceeded"}', 'transient', 90_000],
    [403, { 'retry-after': '60' }, '{"message":"You have exceeded a secondary rate limit."}', 'transient', 60_000],
    [403, {}, '{"message":"You have exceeded a secondary rate limit."}', 'transient', 60_000],
    [403, { 'retry-after': new Date(NOW + 30_000).toUTCString() }, '', 'transient', 30_000],
    [403, { 'x-ratelimit-remaining': '12' }, '{"message":"Resource not accessible by integration"}', 'auth', undefined],
    [401, {}, '{"message":"Bad credentials"}', 'auth', undefined],
    [404, {}, '', 'permanent', undefined],
    [410, {}, '', 'permanent', undefined],
    [400, {}, '', 'permanent', undefined],
    [422, {}, '', 'permanent', undefined],
    [409, {}, '', 'conflict', undefined],
    [412, {}, '', 'conflict', undefined],
  ] as const)('%i %j %s → %s', (status, headers, body, kind, retryAfterMs) => {
    const error = classify(status, headers, body);
    expect(error.kind).toBe(kind);
    expect(error.status).toBe(status);
    expect(error.retryAfterMs).toBe(retryAfterMs);
  });
});

describe('parseRetryAfter', () => {
  const at = (headers: Record<string, string>, now = NOW) => parseRetryAfter(new Headers(headers), now);
  it('reads seconds, HTTP dates and reset epochs', () => {
    expect(at({ 'retry-after': '12' })).toBe(12_000);
    expect(at({ 'retry-after': '1.5' })).toBe(1_500);
    expect(at({ 'retry-after': new Date(NOW + 45_000).toUTCString() })).toBe(45_000);
    expect(at({ 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(NOW / 1000 + 120) })).toBe(120_000);
    expect(at({ 'x-ratelimit-remaining': '3', 'x-ratelimit-reset': String(NOW / 1000 + 120) })).toBeUndefined();
    expect(at({})).toBeUndefined();
  });
  it('compares reset epochs with the remote Date header, not our clock', () => {
    const headers = { date: DATE, 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(NOW / 1000 + 60) };
    expect(at(headers, NOW + 3_600_000)).toBe(60_000);
  });
  it('never returns a negative wait', () => {
    expect(at({ 'retry-after': new Date(NOW - 5_000).toUTCString() })).toBe(0);
  });
});

describe('redact', () => {
  it('scrubs secrets and credential query parameters', () => {
    expect(redact(`GET /x?key=abc123&page=2 token ${TOKEN}`, [TOKEN])).toBe('GET /x?key=***&page=2 token ***');
  });
});

type Reply = { status: number; headers?: Record<string, string>; body?: unknown };

/** A fetch that answers from a script and records what it was asked. */
function scriptedFetch(replies: Array<Reply | Error>) {
  const calls: Array<{ url: string; method: string; headers: Headers; body: string | null }> = [];
  const fetchFn = (async (input: string | URL | Request, init?: RequestInit) => {
    calls.push({ url: String(input), method: init?.method ?? 'GET', headers: new Headers(init?.headers), body: (init?.body as string | null) ?? null });
    const reply = replies.shift() ?? { status: 500 };
    if (reply instanceof Error) throw reply;
    const body = reply.body === undefined ? null : typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
    return new Response(reply.status === 304 || reply.status === 204 ? null : body, {
      status: reply.status,
      headers: { 'content-type': 'application/json', date: DATE, ...reply.headers },
    });
  }) as typeof fetch;
  return { fetchFn, calls };
}

function client(replies: Array<Reply | Error>, overrides: Partial<HttpClientOptions> = {}) {
  const { fetchFn, calls } = scriptedFetch(replies);
  const sleeps: number[] = [];
  let clock = NOW;
  const http = createHttpClient({
    service: 'Test',
    baseUrl: 'https://api.example.test/api/v3/',
    headers: { authorization: `Bearer ${TOKEN}` },
    secrets: [TOKEN],
    fetch: fetchFn,
    now: () => clock,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock += ms;
    },
    random: () => 0.5,
    ...overrides,
  });
  return { http, calls, sleeps };
}

async function failure(promise: Promise<unknown>): Promise<RemoteError> {
  const error: unknown = await promise.then(() => undefined, (e: unknown) => e);
  if (!isRemoteError(error)) throw new Error(`expected a RemoteError, got ${String(error)}`);
  return error;
}

describe('createHttpClient', () => {
  it('joins paths under the base URL, encodes the query and parses JSON', async () => {
    const { http, calls } = client([{ status: 200, body: { ok: true } }]);
    await expect(http.json({ path: '/issues.json', query: { updated_on: '>=2024-06-01T00:00:00Z', skip: undefined } })).resolves.toEqual({ ok: true });
    expect(calls[0]?.url).toBe('https://api.example.test/api/v3/issues.json?updated_on=%3E%3D2024-06-01T00%3A00%3A00Z');
  });

  it('answers a matching If-None-Match with notModified', async () => {
    const { http, calls } = client([{ status: 304, headers: { etag: '"abc"' } }]);
    const res = await http.send({ path: '/x', ifNoneMatch: '"abc"' });
    expect(res.notModified).toBe(true);
    expect(res.etag).toBe('"abc"');
    expect(calls[0]?.headers.get('if-none-match')).toBe('"abc"');
  });

  it('sleeps through a short retry-after and retries', async () => {
    const { http, calls, sleeps } = client([
      { status: 403, headers: { 'retry-after': '3' }, body: { message: 'You have exceeded a secondary rate limit.' } },
      { status: 200, body: [1] },
    ]);
    await expect(http.json({ path: '/x' })).resolves.toEqual([1]);
    expect(calls).toHaveLength(2);
    expect(sleeps.some((ms) => ms >= 3_000 && ms < 3_500)).toBe(true);
  });

  it('hands a long retry-after back to the caller without sleeping', async () => {
    const { http, calls, sleeps } = client([{ status: 429, headers: { 'retry-after': '120' } }]);
    const error = await failure(http.json({ path: '/x' }));
    expect(isTransientError(error)).toBe(true);
    expect(error.retryAfterMs).toBe(120_000);
    expect(calls).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('gives up on rate limits after a bounded number of in-process retries', async () => {
    const limited = { status: 429, headers: { 'retry-after': '1' } };
    const { http, calls } = client([limited, limited, limited, limited, limited], { retry: { maxRateLimitRetries: 2 } });
    const error = await failure(http.json({ path: '/x' }));
    expect(error.retryAfterMs).toBe(1_000);
    expect(calls).toHaveLength(3);
  });

  it('rides out a 502/503 burst with jittered backoff', async () => {
    const { http, calls, sleeps } = client([{ status: 502 }, { status: 503 }, { status: 200, body: ['fine'] }]);
    await expect(http.json({ path: '/x' })).resolves.toEqual(['fine']);
    expect(calls).toHaveLength(3);
    expect(sleeps).toEqual([250, 500]); // random() = 0.5 of 500 ms, then of 1000 ms
  });

  it('gives up after a long burst with a TransientError', async () => {
    const { http, calls } = client(Array.from({ length: 10 }, () => ({ status: 502 })));
    const error = await failure(http.json({ path: '/x' }));
    expect(isTransientError(error)).toBe(true);
    expect(error.status).toBe(502);
    expect(calls).toHaveLength(4);
  });

  it('does not retry a POST on a 5xx: the remote may have acted on it', async () => {
    const { http, calls } = client([{ status: 502 }, { status: 201, body: {} }]);
    expect(isTransientError(await failure(http.json({ method: 'POST', path: '/x', body: {} })))).toBe(true);
    expect(calls).toHaveLength(1);
  });

  it('retries network errors on idempotent requests', async () => {
    const reset = Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }) });
    const { http, calls } = client([reset, { status: 200, body: 1 }]);
    await expect(http.json({ path: '/x' })).resolves.toBe(1);
    expect(calls).toHaveLength(2);
  });

  it('never puts credentials in error messages', async () => {
    const { http } = client([{ status: 401, body: { message: `Bad credentials: ${TOKEN}` } }]);
    const error = await failure(http.json({ path: '/x', query: { api_key: 'k3y-value' } }));
    expect(isAuthError(error)).toBe(true);
    expect(error.message).not.toContain(TOKEN);
    expect(error.message).not.toContain('k3y-value');
    expect(error.message).toContain('Bad credentials');
  });

  it('refuses to send credentials to another origin', async () => {
    const { http, calls } = client([{ status: 200 }]);
    expect(isPermanentError(await failure(http.json({ path: 'https://evil.example.test/steal' })))).toBe(true);
    expect(calls).toHaveLength(0);
  });

  it('follows redirects within the origin only', async () => {
    const { http, calls } = client([
      { status: 301, headers: { location: '/api/v3/repositories/7/issues' } },
      { status: 200, body: [1] },
    ]);
    await expect(http.json({ path: '/repos/old/name/issues' })).resolves.toEqual([1]);
    expect(calls.map((c) => c.url)).toEqual(['https://api.example.test/api/v3/repos/old/name/issues', 'https://api.example.test/api/v3/repositories/7/issues']);

    const away = client([{ status: 302, headers: { location: 'https://elsewhere.example.test/x' } }]);
    expect(isPermanentError(await failure(away.http.json({ path: '/x' })))).toBe(true);
    expect(away.calls).toHaveLength(1);
  });

  it('calls its hooks, which may add headers', async () => {
    const seen: number[] = [];
    const { http, calls } = client([{ status: 200, body: {} }], {
      hooks: { onRequest: ({ headers }) => headers.set('x-trace', 't1'), onResponse: ({ status }) => seen.push(status) },
    });
    await http.json({ path: '/x' });
    expect(calls[0]?.headers.get('x-trace')).toBe('t1');
    expect(seen).toEqual([200]);
  });

  it('a 2xx that is not JSON is a permanent error (wrong base URL)', async () => {
    const { http } = client([{ status: 200, body: '<html>login</html>' }]);
    expect(isPermanentError(await failure(http.json({ path: '/x' })))).toBe(true);
  });
});

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

describe('over a real socket', () => {
  let server: Server;
  let url: string;
  let untrack: () => void;

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/slow') setTimeout(() => res.end('{}'), 2_000);
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    untrack = track('http test server');
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    untrack();
  });

  it('turns a timeout into a TransientError and does not retry it', async () => {
    let requests = 0;
    const http = createHttpClient({ service: 'Test', baseUrl: url, timeoutMs: 200, hooks: { onRequest: () => void requests++ } });
    const error = await failure(http.json({ path: '/slow' }));
    expect(isTransientError(error)).toBe(true);
    expect(error.message).toMatch(/timed out after 200 ms/);
    expect(requests).toBe(1);
  });

  it('turns a refused connection into a TransientError', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const http = createHttpClient({ service: 'Test', baseUrl: `http://127.0.0.1:${port}`, retry: { backoffBaseMs: 1 } });
    const error = await failure(http.json({ path: '/x' }));
    expect(isTransientError(error)).toBe(true);
    expect(error.message).toMatch(/network error \(ECONNREFUSED\)/);
  });

  it('works against a plain server', async () => {
    const http = createHttpClient({ service: 'Test', baseUrl: url });
    await expect(http.json({ path: '/' })).resolves.toEqual({ ok: true });
  });
});
