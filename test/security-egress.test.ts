import { randomBytes, createHmac } from 'node:crypto';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { connect as amqpConnect } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../api/app';
import { connect } from '../connectors/connect';
import { DestinationRefusedError, type DestinationPolicy, egressFor, openDestinations } from '../connectors/http/destination';
import { insertBinding } from '../db/bindings';
import { insertConnection } from '../db/connections';
import { getSink, insertSink } from '../db/sinks';
import { createApiToken } from '../db/tokens';
import { loadConfig } from '../lib/config';
import { loadPlugins } from '../plugins/load';
import { getConnector, installedConnectors } from '../plugins/registry';
import { createPullSchedule } from '../temporal/schedules';
import { pullItemWorkflowId } from '../workflows/contract';
import { connectTestClient, createTestDatabase, eventually, startTestWorker, testLogger, testSecretBox } from './support/harness';
import { AMQP_URL } from './support/sink-receivers';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * X1: every kind of egress, in production, with a loopback or metadata target stored before the
 * policy applied to it (rows inserted directly, as an older version accepted them), is refused at
 * connect time with an error naming the policy; nothing reaches a listener on loopback; and a
 * closed port reads exactly as an open one.
 */

const production = (allowed?: string): DestinationPolicy => ({
  restrictPrivate: true,
  allowed: loadConfig(allowed ? { TRACKBRIDGE_ALLOWED_HOSTS: allowed } : {}).TRACKBRIDGE_ALLOWED_HOSTS ?? [],
});
const PRIVATE = /egress policy.*private or loopback address; allow it with TRACKBRIDGE_ALLOWED_HOSTS/;
const NEVER = /egress policy.*link-local or cloud metadata/;

/** A TCP listener on loopback that counts the connections it accepts (and answers any HTTP request 204). */
async function startListener(): Promise<{ port: number; connections(): number; close(): Promise<void> }> {
  let connections = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('error', () => undefined).on('close', () => sockets.delete(socket));
    socket.end('HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    port, connections: () => connections,
    close: () => new Promise((resolve) => { for (const s of sockets) s.destroy(); server.close(() => resolve()); }),
  };
}

/** A loopback port nothing listens on (taken, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('egress policy at connect time: every outbound door, production worker (real Postgres, Temporal, RabbitMQ)', { timeout: 240_000 }, () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let client: Awaited<ReturnType<typeof connectTestClient>>;
  let worker: Awaited<ReturnType<typeof startTestWorker>>;
  let listener: Awaited<ReturnType<typeof startListener>>;
  let closed: number;
  let token: string;
  let projectId: string;
  let call: (method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<Response>;

  beforeAll(async () => {
    await loadPlugins(['./test/fixtures/plugins/egress-sink.ts']);
    database = await createTestDatabase();
    client = await connectTestClient();
    worker = await startTestWorker({ db: database.db, database, destinations: production() });
    token = (await createApiToken(database.db, 'egress', 'admin')).token;
    const app = createApp({
      db: database.db, temporal: client, taskQueue: worker.taskQueue, connectors: installedConnectors(), secretBox: testSecretBox, logger: testLogger,
      destinations: production(), checks: { database: () => database.ping(), temporal: async () => undefined },
    });
    call = async (method, path, body, headers = { authorization: `Bearer ${token}` }) => app.request(path, {
      method, headers: { 'content-type': 'application/json', ...headers }, ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    listener = await startListener();
    closed = await closedPort();
    const project = (await (await call('POST', '/projects', { key: `EG${randomBytes(2).toString('hex').toUpperCase()}`, name: 'Egress' })).json()) as Json;
    projectId = project.id;
  });
  afterAll(async () => {
    await listener?.close();
    await worker?.stop();
    await client?.close();
    await database?.drop();
  });

  it('the listener counts what reaches it: the same fetch outside production connects', async () => {
    const before = listener.connections();
    const res = await egressFor(openDestinations).fetch(`http://127.0.0.1:${listener.port}/`);
    expect(res.status).toBe(204);
    expect(listener.connections()).toBe(before + 1);
    await expect(egressFor(production()).fetch(`http://127.0.0.1:${listener.port}/`)).rejects.toThrow(PRIVATE);
    expect(listener.connections()).toBe(before + 1);
  });

  it('a redirect to an address the policy refuses is refused at its connect: an address in a Location skips DNS, not the check', async () => {
    const before = listener.connections();
    const redirector = createHttpServer((_req, res) => res.writeHead(302, { location: `http://127.0.0.1:${listener.port}/inside` }).end());
    await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = redirector.address() as { port: number };
      // The allowlist names the redirector's host name, not the address it sends the request on to.
      const refused = await egressFor(production('localhost')).fetch(`http://localhost:${port}/`).then(() => null, (err: unknown) => err);
      expect(refused).toBeInstanceOf(DestinationRefusedError);
      expect((refused as Error).message).toMatch(PRIVATE);
      expect(listener.connections()).toBe(before);
    } finally {
      redirector.closeAllConnections();
      await new Promise((resolve) => redirector.close(resolve));
    }
  });

  /** Sinks stored as an older version accepted them; one story makes each try to deliver. Returns each sink's error, in order. */
  async function storedSinksFail(sinks: { kind: string; config: Json; secrets?: Json }[]): Promise<string[]> {
    const rows = [];
    for (const s of sinks) {
      rows.push(await insertSink(database.db, {
        name: `stored ${s.kind}`, kind: s.kind, projectId, config: s.config, secretsSealed: testSecretBox.seal(s.secrets ?? {}),
      }));
    }
    expect((await call('POST', `/projects/${projectId}/stories`, { title: `egress ${randomBytes(3).toString('hex')}` })).status).toBe(201);
    return Promise.all(rows.map((row) => eventually(async () => (await getSink(database.db, row.id))?.lastError, 60_000, 200).then(async (error) => {
      // The refusal holds the queue: the event waits for a URL or an allowlist that lets it go; it is no dead letter.
      const view = (await (await call('GET', `/sinks/${row.id}`)).json()) as Json;
      expect(view).toMatchObject({ delivered: 0, failed: 0, backlog: { size: expect.any(Number) } });
      expect(view.backlog.size).toBeGreaterThan(0);
      return error;
    })));
  }

  it('webhook sinks: refused at every connect, a name that resolves to loopback too; nothing sent; closed and open ports read alike', async () => {
    const before = listener.connections();
    const errors = await storedSinksFail([
      { kind: 'webhook', config: { url: `http://127.0.0.1:${listener.port}/hook`, timeoutSeconds: 5 }, secrets: { secret: 'x'.repeat(16) } },
      { kind: 'webhook', config: { url: `http://127.0.0.1:${closed}/hook`, timeoutSeconds: 5 }, secrets: { secret: 'x'.repeat(16) } },
      { kind: 'webhook', config: { url: `http://localhost:${listener.port}/hook`, timeoutSeconds: 5 }, secrets: { secret: 'x'.repeat(16) } },
      { kind: 'webhook', config: { url: `http://[::ffff:127.0.0.1]:${listener.port}/hook`, timeoutSeconds: 5 }, secrets: { secret: 'x'.repeat(16) } },
      { kind: 'webhook', config: { url: 'http://169.254.169.254/latest/meta-data', timeoutSeconds: 5 }, secrets: { secret: 'x'.repeat(16) } },
    ]);
    for (const error of errors.slice(0, 4)) expect(error).toMatch(PRIVATE);
    expect(errors[4]).toMatch(NEVER);
    expect(new Set(errors.slice(0, 4)).size).toBe(1);
    expect(listener.connections()).toBe(before);
  });

  it('AMQP sinks: refused before any socket opens, whatever the spelling; the local broker gets nothing; closed and open ports read alike', async () => {
    const before = listener.connections();
    const exchange = `egress-${randomBytes(4).toString('hex')}`;
    const urls = [
      'amqp://guest:guest@127.0.0.1:5672', // the real broker: open, and the login would work
      `amqp://guest:guest@127.0.0.1:${closed}`,
      `amqp://guest:guest@127.0.0.1:${listener.port}`,
      'amqp://guest:guest@localhost:5672',
      'amqp://guest:guest@2130706433:5672',
      'amqp://guest:guest@[::ffff:127.0.0.1]:5672',
      'amqp://guest:guest@sub.localhost:5672',
      'amqp://169.254.169.254:5672',
    ];
    const errors = await storedSinksFail(urls.map((url, i) => ({ kind: 'amqp', config: { exchange: `${exchange}-${i}`, routingKey: '{project}' }, secrets: { url } })));
    for (const error of errors.slice(0, -1)) expect(error).toMatch(PRIVATE);
    expect(errors.at(-1)).toMatch(NEVER);
    expect(new Set(errors.slice(0, -1)).size).toBe(1);
    for (const error of errors) expect(error).not.toMatch(/ECONNREFUSED|handshake|closed|guest/i);
    expect(listener.connections()).toBe(before);
    // Nothing reached the broker: no sink declared its exchange.
    const broker = await amqpConnect(AMQP_URL);
    try {
      for (let i = 0; i < urls.length; i++) {
        const channel = await broker.createChannel();
        channel.on('error', () => undefined);
        await expect(channel.checkExchange(`${exchange}-${i}`)).rejects.toThrow(/404|NOT_FOUND/);
      }
    } finally {
      await broker.close();
    }
  });

  it('AMQP and webhook sinks: refused when created or changed through the API, one message for open and closed ports, no secret echoed', async () => {
    const create = async (body: Json) => {
      const res = await call('POST', '/sinks', { name: 's', projectId, ...body });
      return { status: res.status, body: (await res.json()) as Json };
    };
    const open = await create({ kind: 'amqp', config: { exchange: 'egress-created' }, secrets: { url: 'amqp://guest:hunter2@127.0.0.1:5672' } });
    const shut = await create({ kind: 'amqp', config: { exchange: 'egress-created' }, secrets: { url: `amqp://guest:hunter2@127.0.0.1:${closed}` } });
    const metadata = await create({ kind: 'amqp', config: { exchange: 'egress-created' }, secrets: { url: 'amqp://169.254.169.254:5672' } });
    expect(open.status).toBe(400);
    expect(open.body.error.fields).toEqual([{ path: 'secrets.url', message: expect.stringMatching(PRIVATE) }]);
    expect(shut.body.error).toEqual(open.body.error);
    expect(metadata.body.error.fields).toEqual([{ path: 'secrets.url', message: expect.stringMatching(NEVER) }]);
    expect(JSON.stringify(open.body)).not.toContain('hunter2');
    // A sink stored earlier with a public URL cannot be changed to a loopback one.
    const stored = await insertSink(database.db, {
      name: 'public', kind: 'webhook', projectId, config: { url: 'https://hooks.example.com/x', timeoutSeconds: 5 }, secretsSealed: testSecretBox.seal({ secret: 'y'.repeat(16) }),
    });
    const patched = await call('PATCH', `/sinks/${stored.id}`, { config: { url: `http://[64:ff9b::7f00:1]:${listener.port}/hook` } });
    expect(patched.status).toBe(400);
    expect(((await patched.json()) as Json).error.fields).toEqual([{ path: 'config.url', message: expect.stringMatching(PRIVATE) }]);
    const plugin = await create({ kind: 'egress-probe', config: { url: `http://sub.localhost:${listener.port}/`, via: 'fetch' } });
    expect(plugin.body.error.fields).toEqual([{ path: 'config.url', message: expect.stringMatching(PRIVATE) }]);
  });

  it('plugin sinks: the SDK\'s ctx.egress fetch and host check refuse at connect time; nothing sent; closed and open ports read alike', async () => {
    const before = listener.connections();
    const errors = await storedSinksFail([
      { kind: 'egress-probe', config: { url: `http://127.0.0.1:${listener.port}/`, via: 'fetch' } },
      { kind: 'egress-probe', config: { url: `http://127.0.0.1:${closed}/`, via: 'fetch' } },
      { kind: 'egress-probe', config: { url: `http://127.0.0.1:${listener.port}/`, via: 'socket' } },
      { kind: 'egress-probe', config: { url: `http://127.0.0.1:${closed}/`, via: 'socket' } },
      { kind: 'egress-probe', config: { url: `http://localhost:${listener.port}/`, via: 'socket' } },
    ]);
    for (const error of errors) expect(error).toMatch(PRIVATE);
    expect(new Set(errors).size).toBe(1);
    expect(listener.connections()).toBe(before);
  });

  /** A connection and a binding stored as an older version accepted them. */
  async function storedBinding(baseUrl: string, extraSecrets: Json = {}) {
    const connection = await insertConnection(database.db, {
      connector: 'redmine', name: `stored ${baseUrl}`, config: { baseUrl }, secretsSealed: testSecretBox.seal({ apiKey: 'k-0123456789', ...extraSecrets }),
    });
    const binding = await insertBinding(database.db, { projectId, connectionId: connection.id, scope: `p${randomBytes(3).toString('hex')}`, pullIntervalSeconds: 3600 });
    // Its pull timer, as the older version started it.
    await createPullSchedule(client, worker.taskQueue, { id: binding.id, projectId, connector: 'redmine', pullIntervalSeconds: 3600, paused: false });
    return { connection, binding };
  }
  const spellings = () => [
    `http://127.0.0.1:${listener.port}`, `http://127.0.0.1:${closed}`, `http://sub.localhost:${listener.port}`, `http://[::127.0.0.1]:${listener.port}`,
    `http://[64:ff9b::7f00:1]:${listener.port}`, `http://[2002:7f00:1::]:${listener.port}`,
  ];

  it('connections: a test and a pull of one stored earlier are refused at connect time, for every spelling, alike for closed and open ports', async () => {
    const before = listener.connections();
    const tests: string[] = [];
    const pulls: string[] = [];
    for (const baseUrl of spellings()) {
      const { connection, binding } = await storedBinding(baseUrl);
      const { statusUrl } = (await (await call('POST', `/connections/${connection.id}/test`)).json()) as Json;
      const tested = await eventually(async () => {
        const body = (await (await call('GET', statusUrl)).json()) as Json;
        return body.status === 'running' ? undefined : body;
      }, 60_000, 200);
      expect(tested, baseUrl).toMatchObject({ status: 'completed', result: { ok: false } });
      tests.push(tested.result.message);
      const started = (await (await call('POST', `/bindings/${binding.id}/pull`)).json()) as Json;
      expect(started, baseUrl).toMatchObject({ queued: false, workflowId: expect.any(String) });
      const run = await eventually(async () => {
        const body = (await (await call('GET', `/runs/${encodeURIComponent(started.workflowId)}`)).json()) as Json;
        return body.status === 'running' ? undefined : body;
      }, 60_000, 200);
      expect(run.status, baseUrl).toBe('failed');
      pulls.push(run.error);
    }
    for (const message of [...tests, ...pulls]) expect(message).toMatch(PRIVATE);
    expect(new Set(tests).size).toBe(1);
    expect(new Set(pulls).size).toBe(1);
    expect(listener.connections()).toBe(before);
  });

  it('webhook and poke fetches: a signed poke for a connection stored earlier starts the fetch, which is refused at connect time', async () => {
    const before = listener.connections();
    const secret = randomBytes(32).toString('hex');
    const outcomes: string[] = [];
    for (const baseUrl of spellings()) {
      const { connection, binding } = await storedBinding(baseUrl, { webhookSecret: secret });
      const body = JSON.stringify({ remoteId: '42' });
      const t = Math.floor(Date.now() / 1000);
      const signature = `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
      const res = await call('POST', `/webhooks/poke/${connection.id}`, body, { 'x-trackbridge-signature-256': signature });
      expect(res.status, baseUrl).toBe(202);
      expect(((await res.json()) as Json).accepted).toBe(1);
      const summary = await client.workflow.getHandle(pullItemWorkflowId(binding.id, '42')).result();
      expect(summary.failed, baseUrl).toBeDefined();
      outcomes.push(summary.failed!);
    }
    for (const failed of outcomes) expect(failed).toMatch(PRIVATE);
    expect(new Set(outcomes).size).toBe(1);
    expect(listener.connections()).toBe(before);
  });

  it('file downloads: a stored connection\'s attachment download is refused at connect time, for every spelling', async () => {
    const before = listener.connections();
    const messages: string[] = [];
    for (const baseUrl of [...spellings(), 'http://169.254.169.254']) {
      const remote = connect(getConnector('redmine'), { config: { baseUrl }, secrets: { apiKey: 'k-0123456789' }, logger: testLogger, destinations: production() });
      const attachment = { remoteId: '7', name: 'a.txt', contentType: 'text/plain', size: 1, author: 'a', createdAt: new Date().toISOString(), downloadable: true };
      const refused = await remote.attachments!.downloadAttachment('p', attachment).then(() => null, (err: unknown) => err);
      expect(refused, baseUrl).toBeInstanceOf(DestinationRefusedError);
      messages.push((refused as Error).message);
    }
    expect(messages.at(-1)).toMatch(NEVER);
    for (const message of messages.slice(0, -1)) expect(message).toMatch(PRIVATE);
    expect(new Set(messages.slice(0, -1)).size).toBe(1);
    expect(listener.connections()).toBe(before);
  });
});
