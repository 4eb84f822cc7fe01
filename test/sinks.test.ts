import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { connect, type Channel, type ChannelModel } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIGNATURE_HEADER, verifySignature, type ChangeMessage } from '@trackbridge/sdk';
import { loadPlugins } from '../plugins/load';
import { sinkMessages } from './fixtures/plugins/sink';
import { eventually } from './support/harness';
import { startStack, type Stack } from './support/scenario';

const AMQP_URL = process.env.TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const run = promisify(execFile);

/** A consumer on a durable queue bound to the sink's exchange; it reconnects after a broker outage. */
async function startConsumer(exchange: string) {
  const queue = `tb-test-${randomBytes(4).toString('hex')}`;
  const received: ChangeMessage[] = [];
  let model: ChannelModel | undefined;
  let stopped = false;
  const open = async (): Promise<void> => {
    model = await connect(AMQP_URL);
    model.on('error', () => undefined);
    model.on('close', () => {
      if (!stopped) void retry();
    });
    const channel: Channel = await model.createChannel();
    await channel.assertExchange(exchange, 'topic', { durable: true });
    await channel.assertQueue(queue, { durable: true });
    await channel.bindQueue(queue, exchange, '#');
    await channel.consume(queue, (msg) => {
      if (!msg) return;
      received.push(JSON.parse(msg.content.toString('utf8')) as ChangeMessage);
      channel.ack(msg);
    });
  };
  const retry = async () => {
    while (!stopped) {
      try {
        await open();
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  };
  await open();
  return {
    received,
    async stop() {
      stopped = true;
      const ch = await model?.createChannel().catch(() => undefined);
      await ch?.deleteQueue(queue).catch(() => undefined);
      await model?.close().catch(() => undefined);
    },
  };
}

/** Per story, the versions its messages carried, in arrival order, counting each event once (at-least-once delivery). */
function versionsByStory(messages: ChangeMessage[]): Map<string, number[]> {
  const seen = new Set<number>();
  const by = new Map<string, number[]>();
  for (const m of messages) {
    if (seen.has(m.eventId)) continue;
    seen.add(m.eventId);
    const id = m.story?.id ?? '(deleted)';
    by.set(id, [...(by.get(id) ?? []), m.event.storyVersion]);
  }
  return by;
}

/** A receiver as the README shows one: it checks the signature and drops a delivery id it has seen. */
function startReceiver(secret: string) {
  const accepted: ChangeMessage[] = [];
  const rejected: string[] = [];
  const deliveries = new Set<string>();
  let mode: 'up' | 'down' | ((m: ChangeMessage) => number) = 'up';
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      if (mode === 'down') return res.writeHead(503, { 'retry-after': '1' }).end();
      const check = verifySignature(secret, req.headers[SIGNATURE_HEADER] as string | undefined, body);
      const delivery = String(req.headers['x-trackbridge-delivery']);
      if (!check.ok || deliveries.has(delivery)) {
        rejected.push(check.ok ? 'replayed' : check.reason);
        return res.writeHead(401).end();
      }
      deliveries.add(delivery);
      const message = JSON.parse(body) as ChangeMessage;
      const status = typeof mode === 'function' ? mode(message) : 204;
      if (status < 300) accepted.push(message);
      res.writeHead(status).end();
    });
  });
  return new Promise<{ url: string; accepted: ChangeMessage[]; rejected: string[]; set(m: typeof mode): void; close(): Promise<void> }>((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}/hook`, accepted, rejected, set: (m) => { mode = m; },
        close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
      });
    });
  });
}

describe('event sinks: hub changes published in order per story (real RabbitMQ, Temporal and Postgres)', () => {
  let stack: Stack;
  let project: Json;

  const edit = async (storyId: string, n: number) => {
    const story = await stack.get(`/stories/${storyId}`);
    const res = await stack.api.call('PATCH', `/stories/${storyId}`, { version: story.version, title: `edit ${n}`, description: `body ${n}` });
    expect(res.status).toBe(200);
  };
  /** `stories` stories with `edits` edits each, interleaved across stories (`during` runs halfway). */
  const churn = async (stories: number, edits: number, during?: () => Promise<void>) => {
    const ids: string[] = [];
    for (let i = 0; i < stories; i++) ids.push((await stack.post(`/projects/${project.id}/stories`, { title: `story ${i}` })).id);
    for (let n = 1; n <= edits; n++) {
      if (n === Math.ceil(edits / 2)) await during?.();
      await Promise.all(ids.map((id) => edit(id, n)));
    }
    return ids;
  };

  beforeAll(async () => {
    await loadPlugins(['./test/fixtures/plugins/sink.ts']);
    stack = await startStack();
    project = await stack.post('/projects', { key: `EV${randomBytes(2).toString('hex').toUpperCase()}`, name: 'Events' });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('refuses an unknown kind, a bad config and missing secrets with 400 naming the field, and never returns secrets', async () => {
    const unknown = await stack.api.call('POST', '/sinks', { name: 'x', kind: 'carrier-pigeon' });
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as Json).error.fields[0].path).toBe('kind');
    const badUrl = (await (await stack.api.call('POST', '/sinks', { name: 'x', kind: 'webhook', config: { url: 'ftp://x' }, secrets: { secret: 'a'.repeat(20) } })).json()) as Json;
    expect(badUrl.error.fields.map((f: Json) => f.path)).toEqual(['config.url']);
    const noSecret = (await (await stack.api.call('POST', '/sinks', { name: 'x', kind: 'amqp', config: {} })).json()) as Json;
    expect(noSecret.error.fields.map((f: Json) => f.path)).toEqual(['secrets.url']);
    const badKey = (await (await stack.api.call('POST', '/sinks', { name: 'x', kind: 'amqp', config: { routingKey: '{project}.{nope}' }, secrets: { url: AMQP_URL } })).json()) as Json;
    expect(badKey.error.fields.map((f: Json) => f.path)).toEqual(['config.routingKey']);
    expect((await stack.get('/sinks')).items).toEqual([]);
    const created = await stack.post('/sinks', { name: 'quiet', kind: 'amqp', projectId: project.id, secrets: { url: AMQP_URL } });
    expect(JSON.stringify(created)).not.toContain('guest');
    expect(created).toMatchObject({ config: { exchange: 'trackbridge', routingKey: '{project}.{target}.{action}' }, state: 'active' });
    expect((await stack.api.call('DELETE', `/sinks/${created.id}`)).status).toBe(204);
  });

  it('AMQP: 200 edits across 20 stories reach a bound consumer, every event, in order per story, through a broker outage', async () => {
    const exchange = `tb-test-${randomBytes(4).toString('hex')}`;
    const consumer = await startConsumer(exchange);
    const sink = await stack.post('/sinks', { name: 'rabbit', kind: 'amqp', projectId: project.id, config: { exchange }, secrets: { url: AMQP_URL } });
    try {
      let outage = false;
      const ids = await churn(20, 10, async () => {
        await run('rabbitmqctl', ['stop_app']);
        outage = true;
      });
      // Edits go on while the broker is down; the sink's backlog grows, with the failure on show.
      const during = await eventually(async () => {
        const s = await stack.get(`/sinks/${sink.id}`);
        return s.backlog.size > 0 && s.lastError ? s : undefined;
      }, 30_000, 200);
      expect(during.lastError).toMatch(/AMQP/);
      await run('rabbitmqctl', ['start_app']);
      expect(outage).toBe(true);

      const expected = 20 * 11; // a create and ten edits per story
      await eventually(async () => new Set(consumer.received.map((m) => m.eventId)).size >= expected || undefined, 120_000, 250);
      const by = versionsByStory(consumer.received);
      expect([...by.keys()].sort()).toEqual([...ids].sort());
      for (const id of ids) expect(by.get(id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
      const first = consumer.received.find((m) => m.event.action === 'modify')!;
      expect(first).toMatchObject({ schemaVersion: 1, event: { target: 'story', origin: 'hub' }, project: { key: project.key } });
      expect(first.event.changes.map((c) => c.field).sort()).toEqual(['description', 'title']);
      const after = await eventually(async () => {
        const s = await stack.get(`/sinks/${sink.id}`);
        return s.backlog.size === 0 ? s : undefined;
      });
      expect(after).toMatchObject({ lastError: null, failed: 0 });
      expect(after.delivered).toBeGreaterThanOrEqual(expected);
    } finally {
      await run('rabbitmqctl', ['start_app']).catch(() => undefined);
      await stack.api.call('DELETE', `/sinks/${sink.id}`);
      await consumer.stop();
    }
  }, 240_000);

  it('webhook: signed deliveries; an outage drains in order once the receiver is back; a refused event is a dead letter the rest go past', async () => {
    const secret = randomBytes(24).toString('hex');
    const receiver = await startReceiver(secret);
    const sink = await stack.post('/sinks', { name: 'hook', kind: 'webhook', projectId: project.id, config: { url: receiver.url }, secrets: { secret } });
    try {
      receiver.set('down');
      const ids = await churn(4, 5);
      await eventually(async () => ((await stack.get(`/sinks/${sink.id}`)).lastError ?? '').includes('503') || undefined, 30_000, 200);
      expect(receiver.accepted).toHaveLength(0);
      // Back up, except that it refuses (422) the third edit of the first story, for good.
      const refused = (m: ChangeMessage) => m.story?.id === ids[0] && m.event.storyVersion === 4;
      receiver.set((m) => (refused(m) ? 422 : 204));
      await eventually(async () => receiver.accepted.length >= 4 * 6 - 1 || undefined, 60_000, 200);
      const by = versionsByStory(receiver.accepted);
      expect(by.get(ids[0]!)).toEqual([1, 2, 3, 5, 6]);
      for (const id of ids.slice(1)) expect(by.get(id)).toEqual([1, 2, 3, 4, 5, 6]);
      expect(receiver.rejected).toEqual([]);

      const letters = (await stack.get(`/sinks/${sink.id}/dead-letters`)).items as Json[];
      expect(letters).toHaveLength(1);
      const letter = letters[0]!;
      expect(letter.error).toMatch(/422/);
      // Fixed on the receiver's side: the retried event is delivered.
      receiver.set('up');
      expect((await stack.post(`/sinks/${sink.id}/dead-letters/${letter.id}/retry`)).retried).toBe(1);
      await eventually(async () => receiver.accepted.some((m) => m.eventId === letter.eventId) || undefined);
      expect((await stack.get(`/sinks/${sink.id}/dead-letters`)).items).toEqual([]);
      expect(await stack.get(`/sinks/${sink.id}`)).toMatchObject({ failed: 1, backlog: { size: 0 } });
    } finally {
      await stack.api.call('DELETE', `/sinks/${sink.id}`);
      await receiver.close();
    }
  }, 120_000);

  it('webhook receiver side: forged, stale and replayed deliveries are rejected', async () => {
    const secret = 'a-receiver-secret-of-some-length';
    const body = JSON.stringify({ schemaVersion: 1, eventId: 1 });
    const now = Date.now();
    const { signPayload } = await import('@trackbridge/sdk');
    const good = signPayload(secret, body, now);
    expect(verifySignature(secret, good, body, { now })).toMatchObject({ ok: true });
    expect(verifySignature('another-secret-entirely-here', good, body, { now })).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifySignature(secret, good, `${body} `, { now })).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifySignature(secret, good, body, { now: now + 301_000 })).toEqual({ ok: false, reason: 'stale' });
    expect(verifySignature(secret, good.replace(/t=\d+/, `t=${Math.floor(now / 1000) + 1}`), body, { now })).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifySignature(secret, 't=1,v1=zz', body, { now })).toEqual({ ok: false, reason: 'malformed' });
    expect(verifySignature(secret, undefined, body, { now })).toEqual({ ok: false, reason: 'missing' });

    // Against the running sink: a replayed delivery (same delivery id) is refused by the receiver.
    const receiver = await startReceiver(secret);
    const sink = await stack.post('/sinks', { name: 'replay', kind: 'webhook', projectId: project.id, config: { url: receiver.url }, secrets: { secret } });
    try {
      const story = await stack.post(`/projects/${project.id}/stories`, { title: 'signed' });
      await eventually(async () => receiver.accepted.find((m) => m.story?.id === story.id));
      const res = await fetch(receiver.url, { method: 'POST', body, headers: { [SIGNATURE_HEADER]: 't=1,v1=' + '0'.repeat(64), 'x-trackbridge-delivery': 'forged' } });
      expect(res.status).toBe(401);
      expect(receiver.rejected).toEqual(['mismatch']);
    } finally {
      await stack.api.call('DELETE', `/sinks/${sink.id}`);
      await receiver.close();
    }
  });

  it('a paused sink queues and delivers in order on resume; a replay publishes again from an event id', async () => {
    const secret = randomBytes(24).toString('hex');
    const receiver = await startReceiver(secret);
    const sink = await stack.post('/sinks', { name: 'paused', kind: 'webhook', projectId: project.id, config: { url: receiver.url }, secrets: { secret } });
    try {
      await stack.post(`/sinks/${sink.id}/pause`);
      const [id] = await churn(1, 3);
      await eventually(async () => (await stack.get(`/sinks/${sink.id}`)).backlog.size === 4 || undefined);
      expect(receiver.accepted).toHaveLength(0);
      const resumed = await stack.post(`/sinks/${sink.id}/resume`);
      expect(resumed.state).toBe('active');
      await eventually(async () => receiver.accepted.length === 4 || undefined);
      expect(versionsByStory(receiver.accepted).get(id!)).toEqual([1, 2, 3, 4]);

      const from = receiver.accepted[2]!.eventId;
      const replay = await stack.post(`/sinks/${sink.id}/replay`, { fromEventId: from });
      expect(replay.queued).toBe(2);
      await eventually(async () => receiver.accepted.length === 6 || undefined);
      expect(receiver.accepted.slice(4).map((m) => m.eventId)).toEqual(receiver.accepted.slice(2, 4).map((m) => m.eventId));
      expect(receiver.accepted[4]?.eventId).toBe(from);
    } finally {
      await stack.api.call('DELETE', `/sinks/${sink.id}`);
      await receiver.close();
    }
  });

  it('a plugin adds a sink kind: its config is validated, it receives every event, and its permanent refusal is a dead letter', async () => {
    const bad = (await (await stack.api.call('POST', '/sinks', { name: 'm', kind: 'memory', config: {} })).json()) as Json;
    expect(bad.error.fields.map((f: Json) => f.path)).toEqual(['config.label']);
    const sink = await stack.post('/sinks', { name: 'memory', kind: 'memory', projectId: project.id, config: { label: 'mine' } });
    try {
      const kept = await stack.post(`/projects/${project.id}/stories`, { title: 'kept' });
      const refused = await stack.post(`/projects/${project.id}/stories`, { title: 'refuse me' });
      await eventually(async () => sinkMessages().some((m) => m.message.story?.id === kept.id) || undefined);
      const letters = await eventually(async () => {
        const items = (await stack.get(`/sinks/${sink.id}/dead-letters`)).items as Json[];
        return items.length ? items : undefined;
      });
      expect(letters.map((l) => l.error)).toEqual(['memory sink: refused']);
      expect(sinkMessages().filter((m) => m.message.story?.id === refused.id)).toEqual([]);
      expect(sinkMessages().find((m) => m.message.story?.id === kept.id)).toMatchObject({ label: 'mine', message: { event: { action: 'create', target: 'story' } } });
    } finally {
      await stack.api.call('DELETE', `/sinks/${sink.id}`);
    }
  });
});
