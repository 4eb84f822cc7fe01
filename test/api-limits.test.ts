import { connect, createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import type { ServerType } from '@hono/node-server';
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
