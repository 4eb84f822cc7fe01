import { connect, createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import type { ServerType } from '@hono/node-server';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createApp } from '../api/app';
import { installedConnectors } from '../plugins/registry';
import { insertConnection } from '../db/connections';
import { createApiToken } from '../db/tokens';
import { loadConfig } from '../lib/config';
import { startApiServer } from '../runtime/runtime';
import { connectTestClient, createTestDatabase, testLogger, testSecretBox } from './support/harness';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const MB = 1024 * 1024;

async function freePort(): Promise<number> {
  const probe = createNetServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** Resolves when the server closes `socket`, with the bytes it sent first. */
const closedBy = (socket: Socket) => new Promise<string>((resolve) => {
  let received = '';
  socket.on('data', (d: Buffer) => { received += d.toString(); });
  socket.on('close', () => resolve(received));
  socket.on('error', () => undefined);
});

/**
 * Streams `totalBytes` as a chunked upload over a raw socket (so a server that answers early and
 * closes cannot hide its answer behind a write error) and resolves with the answer's status, 0 when
 * there was none, and how many bytes went out before it.
 */
function chunkedUpload(url: URL, token: string, totalBytes: number): Promise<{ status: number; sent: number }> {
  return new Promise((resolve) => {
    const chunk = Buffer.alloc(256 * 1024, 120);
    const frame = Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]);
    const socket = connect(Number(url.port), url.hostname);
    let sent = 0;
    let received = '';
    const status = () => Number(/^HTTP\/1\.1 (\d{3})/.exec(received)?.[1] ?? 0);
    socket.on('data', (d: Buffer) => {
      received += d.toString();
      // A complete answer: headers and the (small) JSON body.
      if (/\r\n\r\n[\s\S]*\}\s*$/.test(received) || /\r\n0\r\n\r\n$/.test(received)) socket.destroy();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => resolve({ status: status(), sent }));
    socket.write(`POST ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${token}\r\n` +
      'Content-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n');
    const pump = () => {
      while (!received && !socket.destroyed && sent < totalBytes) {
        sent += chunk.length;
        if (!socket.write(frame)) return void socket.once('drain', pump);
      }
      if (!received && !socket.destroyed) socket.write('0\r\n\r\n');
    };
    pump();
  });
}

describe('resource limits (issue 10 §3)', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let client: Awaited<ReturnType<typeof connectTestClient>>;
  let server: ServerType;
  let base: URL;
  let token: string;

  const appWith = (limits: Json) => createApp({
    db: database.db, temporal: client, taskQueue: 'api-limits-no-worker', connectors: installedConnectors(), secretBox: testSecretBox, logger: testLogger,
    checks: { database: () => database.ping(), temporal: async () => undefined }, limits,
  });

  beforeAll(async () => {
    database = await createTestDatabase();
    client = await connectTestClient();
    ({ token } = await createApiToken(database.db, 'limits'));
    const config = loadConfig({
      NODE_ENV: 'test', HOST: '127.0.0.1', PORT: String(await freePort()), DATABASE_URL: database.url, TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_TASK_QUEUE: 'api-limits-no-worker', API_REQUEST_TIMEOUT_MS: '1000', API_MAX_CONNECTIONS: '3', RATE_LIMIT_PER_MINUTE: '0',
    });
    server = await startApiServer(config, { database, secretBox: testSecretBox }, client, testLogger);
    base = new URL(`http://127.0.0.1:${config.PORT}`);
  });
  afterAll(async () => {
    await new Promise((resolve) => server ? server.close(resolve) : resolve(undefined));
    await client?.close();
    await database?.drop();
  });

  it('refuses a body over the limit with 413 before parsing it, with or without Content-Length', async () => {
    const app = appWith({ bodyBytes: 64 * 1024, ratePerMinute: 0 });
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    // Malformed and too large: the limit answers, so nothing parsed it first.
    const oversized = `{"key":"BIG","name":"${'x'.repeat(200 * 1024)}`;
    const declared = await app.request('/projects', { method: 'POST', headers, body: oversized });
    expect(declared.status).toBe(413);
    expect(((await declared.json()) as Json).error.fields).toEqual([{ path: 'body', message: expect.stringContaining('65536') }]);
    const stream = new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode(oversized)); c.close(); } });
    const chunked = await app.request('/projects', { method: 'POST', headers, body: stream, duplex: 'half' } as RequestInit);
    expect(chunked.status).toBe(413);
    expect((await app.request('/projects', { method: 'POST', headers, body: JSON.stringify({ key: 'SMALL', name: 'fits' }) })).status).toBe(201);
  });

  it('counts a chunked 300 MB upload while it streams: 413, and the API process grows by a few tens of MB at most', async () => {
    const res = await fetch(new URL('/projects', base), { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ key: 'UPLOAD', name: 'Upload' }) });
    const project = (await res.json()) as Json;
    const story = (await (await fetch(new URL(`/projects/${project.id}/stories`, base), { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ title: 'Big file' }) })).json()) as Json;

    // Warm the path with a small upload that fits, so the baseline already holds the code it runs.
    const small = await chunkedUpload(new URL(`/stories/${story.id}/attachments?name=small.bin`, base), token, 1 * MB);
    expect(small.status).toBe(201);
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 10);
    const { status, sent } = await chunkedUpload(new URL(`/stories/${story.id}/attachments?name=big.bin`, base), token, 300 * MB);
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);

    console.info(`upload: answered ${status} after ${Math.round(sent / MB)} MB sent; RSS grew ${Math.round((peak - baseline) / MB)} MB`);
    // Refused: a 413, or (when the answer races the server closing the socket under a client still
    // sending) a connection closed long before the body was through. Either way nothing is stored.
    expect([413, 0]).toContain(status);
    expect(sent).toBeLessThan(100 * MB);
    const files = (await (await fetch(new URL(`/stories/${story.id}/attachments`, base), { headers: { authorization: `Bearer ${token}` } })).json()) as Json;
    expect(files.items.map((f: Json) => f.name)).toEqual(['small.bin']);
    expect((peak - baseline) / MB).toBeLessThan(64);
  }, 120_000);

  it('answers 429 with Retry-After once a token spent its budget, and counts each token on its own', async () => {
    const app = appWith({ ratePerMinute: 5 });
    const { token: other } = await createApiToken(database.db, 'limits-other');
    const get = (t: string) => app.request('/connections', { headers: { authorization: `Bearer ${t}` } });
    for (let i = 0; i < 5; i++) expect((await get(token)).status).toBe(200);
    const limited = await get(token);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await limited.json()) as Json).error.code).toBe('rate_limited');
    expect((await get(other)).status).toBe(200);
  });

  it('answers 503 when a handler outlives the request timeout', async () => {
    const app = appWith({ requestTimeoutMs: 300, ratePerMinute: 0 });
    const connection = await insertConnection(database.db, { connector: 'github', name: 'nobody works', config: { baseUrl: 'https://api.github.com' }, secretsSealed: testSecretBox.seal({ token: 't' }) });
    // No worker polls this task queue: the scope listing waits until the timeout answers.
    const res = await app.request(`/connections/${connection.id}/scopes`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(503);
    expect(((await res.json()) as Json).error.code).toBe('timeout');
  });

  it('closes a connection whose headers never finish, within the configured timeout', async () => {
    const socket = connect(Number(base.port), '127.0.0.1');
    const closed = closedBy(socket);
    const started = Date.now();
    socket.write('GET /health HTTP/1.1\r\nHost: localhost\r\n'); // and never the blank line
    const answer = await closed;
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(answer).toMatch(/^HTTP\/1\.1 408|^$/);
  });

  it('accepts at most API_MAX_CONNECTIONS sockets at once', async () => {
    const held = [connect(Number(base.port), '127.0.0.1'), connect(Number(base.port), '127.0.0.1'), connect(Number(base.port), '127.0.0.1')];
    await Promise.all(held.map((s) => new Promise((resolve) => s.once('connect', resolve))));
    const extra = connect(Number(base.port), '127.0.0.1');
    const closed = closedBy(extra);
    extra.write('GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n');
    expect(await closed).toBe('');
    for (const s of held) s.destroy();
  });
});

/** Issue 22: failed sign-ins limited by client address (with X-Forwarded-For only from a trusted proxy), and early refusals that close cleanly. */
describe('failed authentication by client address, and early refusals', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let client: Awaited<ReturnType<typeof connectTestClient>>;
  let server: ServerType;
  let base: URL;
  let token: string;
  const agents = new Map<string, Agent>();
  const METRICS_TOKEN = 'metrics-token-of-issue-22';
  const PER_MINUTE = 5;

  /** A request from `from` (a loopback address of this host: 127.0.0.2 and so on are all this machine). */
  async function from(address: string, path: string, headers: Record<string, string> = {}, form?: Record<string, string>) {
    let agent = agents.get(address);
    if (!agent) agents.set(address, agent = new Agent({ localAddress: address }));
    const res = await request(new URL(path, base), {
      dispatcher: agent, headers: form ? { ...headers, 'content-type': 'application/x-www-form-urlencoded' } : headers,
      ...(form ? { method: 'POST', body: new URLSearchParams(form).toString() } : {}),
    });
    const text = await res.body.text();
    return { status: res.statusCode, retryAfter: res.headers['retry-after'], body: text };
  }
  const bearer = (t: string, extra: Record<string, string> = {}) => ({ authorization: `Bearer ${t}`, ...extra });
  const wrong = () => `tb_${randomUUID().replaceAll('-', '')}`;
  const authFailures = async () => {
    const text = (await from('127.0.0.1', '/metrics', bearer(METRICS_TOKEN))).body;
    const count = (reason: string) => Number(new RegExp(`^trackbridge_auth_failures_total\\{reason="${reason}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
    return { bad_token: count('bad_token'), missing: count('missing'), address_limited: count('address_limited'), bad_metrics_token: count('bad_metrics_token') };
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    client = await connectTestClient();
    ({ token } = await createApiToken(database.db, 'by-address'));
    const config = loadConfig({
      NODE_ENV: 'test', HOST: '127.0.0.1', PORT: String(await freePort()), DATABASE_URL: database.url, TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_TASK_QUEUE: 'api-limits-no-worker', RATE_LIMIT_PER_MINUTE: '1000', AUTH_FAILURES_PER_MINUTE: String(PER_MINUTE),
      TRUSTED_PROXIES: '127.0.0.3', METRICS_TOKEN,
    });
    server = await startApiServer(config, { database, secretBox: testSecretBox }, client, testLogger);
    base = new URL(`http://127.0.0.1:${config.PORT}`);
  });
  afterAll(async () => {
    await Promise.all([...agents.values()].map((a) => a.close()));
    await new Promise((resolve) => server ? server.close(resolve) : resolve(undefined));
    await client?.close();
    await database?.drop();
  });

  it('answers 429 with Retry-After to every token from an address after N failures a minute, and keeps the per-token limit for the rest', async () => {
    // Good requests, many at once, count no failure: only the per-token limit applies to them.
    const good = await Promise.all(Array.from({ length: 3 * PER_MINUTE }, () => from('127.0.0.2', '/projects', bearer(token))));
    expect(good.map((r) => r.status)).toEqual(good.map(() => 200));
    // A fresh wrong token each time: a per-token limit would give each a budget of its own.
    for (let i = 0; i < PER_MINUTE; i++) expect((await from('127.0.0.2', '/projects', bearer(wrong()))).status).toBe(401);
    for (const t of [wrong(), wrong(), token]) {
      const limited = await from('127.0.0.2', '/projects', bearer(t));
      expect(limited.status).toBe(429);
      expect(JSON.parse(limited.body).error.code).toBe('rate_limited');
      expect(Number(limited.retryAfter)).toBeGreaterThan(0);
      expect(Number(limited.retryAfter)).toBeLessThanOrEqual(60);
    }
    // Another address is not held back: its good token works and its wrong one is a plain 401.
    expect((await from('127.0.0.5', '/projects', bearer(token))).status).toBe(200);
    expect((await from('127.0.0.5', '/projects', bearer(wrong()))).status).toBe(401);
    // Public routes stay open to the limited address.
    expect((await from('127.0.0.2', '/health')).status).toBe(200);
  });

  it('reads X-Forwarded-For only from a trusted proxy (TRUSTED_PROXIES), and only its rightmost untrusted address', async () => {
    // An untrusted peer cannot pick a new address per request.
    for (let i = 0; i < PER_MINUTE; i++) expect((await from('127.0.0.4', '/projects', bearer(wrong(), { 'x-forwarded-for': `10.0.0.${i}` }))).status).toBe(401);
    expect((await from('127.0.0.4', '/projects', bearer(token, { 'x-forwarded-for': '10.0.0.99' }))).status).toBe(429);

    // Behind the trusted proxy 127.0.0.3, each client is the address the proxy appended.
    const viaProxy = (t: string, xff: string) => from('127.0.0.3', '/projects', bearer(t, { 'x-forwarded-for': xff }));
    for (let i = 0; i < PER_MINUTE; i++) expect((await viaProxy(wrong(), '10.1.0.1')).status).toBe(401);
    expect((await viaProxy(wrong(), '10.1.0.1')).status).toBe(429);
    expect((await viaProxy(token, '10.1.0.1')).status).toBe(429);
    // What the client wrote itself (left of the proxy's entry) changes nothing.
    expect((await viaProxy(token, '10.1.0.7, 10.1.0.1')).status).toBe(429);
    expect((await viaProxy(token, '10.1.0.2')).status).toBe(200);
    expect((await viaProxy(token, '10.1.0.1, 10.1.0.8')).status).toBe(200);
    // The proxy itself was never counted.
    expect((await from('127.0.0.3', '/projects', bearer(token))).status).toBe(200);

    // The console's sign-in, behind the same proxy, counts each browser on its own and shows the wait.
    const signIn = (t: string, xff: string) => from('127.0.0.3', '/ui/sign-in', { 'x-forwarded-for': xff }, { token: t });
    for (let i = 0; i < PER_MINUTE; i++) expect((await signIn(wrong(), '10.2.0.1')).status).toBe(401);
    const waiting = await signIn(token, '10.2.0.1');
    expect(waiting.status).toBe(429);
    expect(waiting.body).toContain(`try again in ${Number(waiting.retryAfter)} seconds`);
    expect((await signIn(token, '10.2.0.2')).status).toBe(303);
  });

  it('counts refused authentications in /metrics by reason, never by token or address', async () => {
    const before = await authFailures();
    for (let i = 0; i < PER_MINUTE; i++) await from('127.0.0.6', '/projects', bearer(wrong()));
    await from('127.0.0.6', '/projects', bearer(wrong()));
    await from('127.0.0.6', '/projects');
    expect((await from('127.0.0.7', '/metrics', bearer('not-the-metrics-token'))).status).toBe(401);
    const after = await authFailures();
    expect(after).toEqual({
      bad_token: before.bad_token + PER_MINUTE, missing: before.missing + 1,
      address_limited: before.address_limited + 1, bad_metrics_token: before.bad_metrics_token + 1,
    });
    const text = (await from('127.0.0.1', '/metrics', bearer(METRICS_TOKEN))).body;
    expect(text.split('\n').filter((l) => l.startsWith('trackbridge_auth_failures_total{')).join('\n')).not.toMatch(/127\.0\.0|tb_/);
  });

  it('answers an early refusal (413, 401) with Connection: close, so the next request on a keep-alive agent gets through', async () => {
    const json = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const post = async (path: string, body: unknown) => (await fetch(new URL(path, base), { method: 'POST', headers: json, body: JSON.stringify(body) })).json() as Promise<Json>;
    const project = await post('/projects', { key: 'CLOSE', name: 'Close' });
    const story = await post(`/projects/${project.id}/stories`, { title: 'close' });
    const refusals: Array<[string, string, Record<string, string>, number, number]> = [
      ['API_BODY_LIMIT_BYTES', '/projects', json, 2 * MB, 413],
      ['UPLOAD_LIMIT_BYTES', `/stories/${story.id}/attachments?name=big.bin`, { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' }, 11 * MB, 413],
      ['webhooks in', `/webhooks/github/${randomUUID()}`, { 'content-type': 'application/json', 'x-github-event': 'issues' }, 2 * MB, 413],
      ['a wrong token', '/projects', { authorization: 'Bearer tb_wrong-before-the-body', 'content-type': 'application/json' }, 512 * 1024, 401],
    ];
    // One socket, kept alive between requests: the next request goes on the socket of the last one unless told to close.
    const agent = new Agent({ connections: 1, pipelining: 1 });
    try {
      for (const [what, path, headers, size, status] of refusals) {
        for (let round = 0; round < 3; round++) {
          const refused = await request(new URL(path, base), { dispatcher: agent, method: 'POST', headers, body: Buffer.alloc(size, 0x20) });
          await refused.body.dump();
          expect({ what, status: refused.statusCode, connection: refused.headers.connection }).toEqual({ what, status, connection: 'close' });
          const next = await request(new URL('/projects', base), { dispatcher: agent, headers: { authorization: `Bearer ${token}` } });
          await next.body.dump();
          expect({ what, next: next.statusCode }).toEqual({ what, next: 200 });
        }
      }
      // A request whose body was read keeps its connection.
      const read = await request(new URL('/projects', base), { dispatcher: agent, method: 'POST', headers: json, body: JSON.stringify({ key: 'KEPT', name: 'Kept' }) });
      await read.body.dump();
      expect(read.statusCode).toBe(201);
      expect(read.headers.connection).toBe('keep-alive');
    } finally {
      await agent.close();
    }
  });

  it('closes after a 413 only once the client can read it: one still sending its body, and reading late, gets the answer', async () => {
    // Node destroys a `Connection: close` socket as soon as the answer is written; the body still
    // coming then draws a reset, and the client's kernel drops the unread answer (EPIPE, nothing read).
    const answer = await new Promise<string>((resolve) => {
      const socket = connect(Number(base.port), '127.0.0.1');
      let received = '';
      socket.pause(); // reads nothing until the body is out, as a client that writes before it reads
      socket.on('data', (d: Buffer) => {
        received += d.toString();
        if (/\r\n\r\n\{[\s\S]*\}$/.test(received)) socket.destroy();
      });
      socket.on('error', () => undefined);
      socket.on('close', () => resolve(received));
      const size = 8 * MB;
      socket.write(`POST /projects HTTP/1.1\r\nHost: ${base.host}\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: ${size}\r\n\r\n`);
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      let sent = 0;
      const pump = () => {
        while (sent < size && !socket.destroyed) {
          sent += chunk.length;
          if (!socket.write(chunk)) return void socket.once('drain', pump);
        }
      };
      pump();
      setTimeout(() => socket.resume(), 300);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(answer).toMatch(/\r\nconnection: close\r\n/i);
  });
});
