/** What sits at the far end of a sink in a test: an AMQP consumer and a webhook receiver, each recording arrivals in order. */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'amqplib';
import { SIGNATURE_HEADER, verifySignature, type ChangeMessage } from '@trackbridge/sdk';
import { track } from './resources';

export const AMQP_URL = process.env.TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

export interface Receiver { received: ChangeMessage[]; close(): Promise<void> }

/** A consumer on its own queue bound to `exchange` (a topic exchange, as the sink declares it), acking each message. */
export async function startAmqpConsumer(exchange: string): Promise<Receiver> {
  const queue = `tb-test-${randomBytes(4).toString('hex')}`;
  const received: ChangeMessage[] = [];
  const model = await connect(AMQP_URL);
  const untrack = track(`amqp consumer ${queue}`);
  model.on('error', () => undefined);
  const channel = await model.createChannel();
  await channel.assertExchange(exchange, 'topic', { durable: true });
  await channel.assertQueue(queue, { exclusive: true });
  await channel.bindQueue(queue, exchange, '#');
  await channel.consume(queue, (msg) => {
    if (!msg) return;
    received.push(JSON.parse(msg.content.toString('utf8')) as ChangeMessage);
    channel.ack(msg);
  });
  return {
    received,
    async close() {
      await channel.deleteExchange(exchange).catch(() => undefined);
      await model.close().catch(() => undefined);
      untrack();
    },
  };
}

/** A webhook receiver on loopback that checks each delivery's signature; a bad one is answered 401 and kept in `rejected`. */
export async function startWebhookReceiver(secret: string): Promise<Receiver & { url: string; rejected: string[] }> {
  const received: ChangeMessage[] = [];
  const rejected: string[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const check = verifySignature(secret, req.headers[SIGNATURE_HEADER] as string | undefined, body);
      const message = JSON.parse(body) as ChangeMessage;
      if (!check.ok || req.headers['x-trackbridge-event'] !== String(message.eventId)) {
        rejected.push(check.ok ? 'event header does not match the body' : check.reason);
        return void res.writeHead(401).end();
      }
      received.push(message);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const untrack = track(`webhook receiver ${port}`);
  return {
    url: `http://127.0.0.1:${port}/events`, received, rejected,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => { untrack(); resolve(); });
    }),
  };
}

/**
 * Per story, the story versions its events carried, in arrival order, each event counted at its first
 * arrival (at least once: a redelivery of an event already seen is what `eventId` lets a receiver drop).
 */
export function versionsByStory(messages: ChangeMessage[]): Map<string, number[]> {
  const seen = new Set<number>();
  const by = new Map<string, number[]>();
  for (const m of messages) {
    if (seen.has(m.eventId) || !m.story) continue;
    seen.add(m.eventId);
    by.set(m.story.id, [...(by.get(m.story.id) ?? []), m.event.storyVersion]);
  }
  return by;
}
