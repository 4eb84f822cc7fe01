import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAuthError, isPermanentError, isTransientError } from '../../connectors/errors';
import { createHttpClient } from '../../connectors/http';
import { track } from '../support/resources';
import { TOKEN, client, failure } from './scripted-http';

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
