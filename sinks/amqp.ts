import { connect, type ChannelModel, type ConfirmChannel } from 'amqplib';
import { z } from 'zod';
import { PermanentError, TransientError } from '../connectors/errors';
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
 * RabbitMQ (or any AMQP 0-9-1 broker) through amqplib: a topic exchange, persistent messages, and a
 * confirm channel, so `publish` resolves only once the broker has taken the message. A lost
 * connection or a broker that refuses to confirm is transient; the worker reopens the publisher.
 */
export const amqpSink: SinkDefinition<z.output<typeof configSchema>, z.output<typeof secretsSchema>> = {
  kind: 'amqp',
  description: 'Publishes each change to an AMQP topic exchange (RabbitMQ), persistent, with publisher confirms',
  configSchema,
  secretsSchema,
  async open({ config, secrets }, { logger }): Promise<SinkPublisher> {
    let model: ChannelModel;
    try {
      model = await connect(secrets.url, { timeout: PUBLISH_TIMEOUT_MS });
    } catch (err) {
      const message = (err as Error).message ?? String(err);
      // A refused login will not get better by retrying quickly, but a broker may be restarting: transient, with backoff.
      throw new TransientError(`AMQP connect failed: ${message.replace(secrets.url, '<url>')}`);
    }
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
