import { connect, type ChannelModel, type ConfirmChannel, type Options } from 'amqplib';
import { z } from 'zod';
import { PermanentError, TransientError } from '../connectors/errors';
import { type Egress, isDestinationRefused } from '../connectors/http/destination';
import { DEFAULT_ROUTING_KEY, fillTemplate, templateProblem } from './template';
import type { ChangeMessage, SinkDefinition, SinkPublisher } from './types';

const configSchema = z.strictObject({
  /** A topic exchange, declared durable if it does not exist. */
  exchange: z.string().min(1).max(255).regex(/^[\w.:-]+$/, 'letters, digits, and - _ . : only').default('trackbridge'),
  routingKey: z.string().min(1).max(255).default(DEFAULT_ROUTING_KEY).superRefine((v, ctx) => {
    const problem = templateProblem(v);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }),
});
/** The URL holds the broker's password, so it is a secret. */
const secretsSchema = z.strictObject({
  url: z.string().max(2000).refine((v) => /^amqps?:\/\/[^\s]+$/.test(v), 'an amqp:// or amqps:// URL'),
});

const PUBLISH_TIMEOUT_MS = 10_000;

/**
 * Opens the broker connection under the egress policy: the URL is parsed once (WHATWG, never
 * amqplib's own parser, so the host checked is the host reached), its host checked and resolved
 * by `egress.checkHost`, and the socket opened to that checked address, the name kept as TLS
 * servername. Below the broker's own answer (a refused login, an unknown vhost), every failure
 * reads the same, so a sink cannot tell a closed port from an open one.
 */
async function openBroker(egress: Egress, secretUrl: string): Promise<ChannelModel> {
  const url = URL.canParse(secretUrl) ? new URL(secretUrl) : null;
  if (!url) throw new TransientError('AMQP connect failed: the sink\'s URL is not a URL; change it with PATCH /sinks/{id}');
  const tls = url.protocol === 'amqps:';
  const checked = await egress.checkHost(url.hostname).catch((err: unknown) => {
    if (isDestinationRefused(err)) throw err;
    throw unreachable();
  });
  const options: Options.Connect = {
    protocol: tls ? 'amqps' : 'amqp', hostname: checked.address, port: url.port ? Number(url.port) : tls ? 5671 : 5672,
    // amqplib unescapes the vhost; as its own parser: guest/guest only when the URL names no user at all.
    vhost: url.pathname.slice(1),
    ...(url.username || url.password ? { username: decodePart(url.username), password: decodePart(url.password) } : {}),
  };
  for (const name of ['heartbeat', 'frameMax'] as const) {
    const value = url.searchParams.get(name);
    if (value !== null) options[name] = Number(value);
  }
  const servername = url.hostname.replace(/^\[|\]$/g, '');
  try {
    return await connect(options, { timeout: PUBLISH_TIMEOUT_MS, ...(checked.address !== servername ? { servername } : {}) });
  } catch (err) {
    const message = (err as Error).message ?? String(err);
    // Only a broker that spoke AMQP says this (a refused login, an unknown vhost): worth showing, and it tells no port apart.
    if (message.startsWith('Handshake terminated by server')) throw new TransientError(`AMQP connect failed: ${message.replace(secretUrl, '<url>')}`);
    throw unreachable();
  }
}

/** Percent-decoding of a URL's user or password; a malformed escape is kept as written. */
const decodePart = (part: string) => {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
};

// A broker may be restarting: transient, with backoff.
const unreachable = () => new TransientError('AMQP connect failed: no broker completed the opening handshake at the sink\'s URL');

/**
 * RabbitMQ (or any AMQP 0-9-1 broker) through amqplib: a topic exchange, persistent messages, and a
 * confirm channel, so `publish` resolves only once the broker has taken the message. A lost
 * connection or a broker that refuses to confirm is transient; the worker reopens the publisher.
 */
export const amqpSink: SinkDefinition<z.output<typeof configSchema>, z.output<typeof secretsSchema>> = {
  kind: 'amqp',
  description: 'Publishes each change to an AMQP topic exchange (RabbitMQ), persistent, with publisher confirms',
  configSchema,
  secretsSchema,
  destinations: ({ secrets }) => [{ path: 'secrets.url', url: secrets.url }],
  async open({ config, secrets }, { logger, egress }): Promise<SinkPublisher> {
    const model = await openBroker(egress, secrets.url);
    let broken: Error | undefined;
    model.on('error', (err: Error) => { broken = err; });
    model.on('close', () => { broken ??= new Error('connection closed'); });
    let channel: ConfirmChannel;
    try {
      channel = await model.createConfirmChannel();
      channel.on('error', (err: Error) => { broken = err; });
      channel.on('close', () => { broken ??= new Error('channel closed'); });
      await channel.assertExchange(config.exchange, 'topic', { durable: true });
    } catch (err) {
      await model.close().catch(() => undefined);
      // 406 PRECONDITION_FAILED: the exchange exists with another type. Retrying cannot help.
      const message = (err as Error).message;
      if (/PRECONDITION_FAILED|406/.test(message)) throw new PermanentError(`AMQP exchange ${config.exchange}: ${message}`);
      throw new TransientError(`AMQP channel failed: ${message}`);
    }
    logger.debug({ exchange: config.exchange }, 'AMQP sink connected');

    /** Publishes on the confirm channel; the promise settles with the broker's ack or nack. */
    const send = (message: ChangeMessage) => new Promise<void>((resolve, reject) => {
      channel.publish(config.exchange, fillTemplate(config.routingKey, message), Buffer.from(JSON.stringify(message)), {
        persistent: true, contentType: 'application/json', messageId: String(message.eventId), type: `${message.event.target}.${message.event.action}`,
        timestamp: Math.floor(Date.parse(message.event.time) / 1000), headers: { 'x-schema-version': message.schemaVersion },
      }, (err) => (err ? reject(new TransientError(`AMQP broker refused the message: ${(err as Error).message ?? String(err)}`)) : resolve()));
    });
    /** All of them confirmed, or the first failure; a broker that goes quiet fails the wait after 10 s. */
    const confirmed = async (messages: ChangeMessage[]) => {
      if (broken) throw new TransientError(`AMQP connection lost: ${broken.message}`);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new TransientError('AMQP broker did not confirm within 10 s')), PUBLISH_TIMEOUT_MS);
      });
      try {
        // Publishes go out on the channel in call order, so the broker routes them in event order.
        await Promise.race([Promise.all(messages.map(send)), timeout]);
      } finally {
        clearTimeout(timer);
      }
    };

    return {
      publish: (message: ChangeMessage) => confirmed([message]),
      publishMany: (messages: ChangeMessage[]) => confirmed(messages),
      async close() {
        await channel.close().catch(() => undefined);
        await model.close().catch(() => undefined);
      },
    };
  },
};
