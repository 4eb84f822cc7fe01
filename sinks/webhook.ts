import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { PermanentError, TransientError } from '../connectors/errors';
import { parseRetryAfter } from '../connectors/http/classify';
import { isDestinationRefused } from '../connectors/http/destination';
import { SIGNATURE_HEADER, signPayload } from './signature';
import type { ChangeMessage, SinkDefinition, SinkPublisher } from './types';

const configSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/ }).max(2000),
  timeoutSeconds: z.number().int().min(1).max(60).default(10),
});
const secretsSchema = z.strictObject({ secret: z.string().min(16, 'at least 16 characters').max(256) });

/**
 * POSTs each change as JSON, signed with HMAC-SHA256 over the timestamp and the body. Headers:
 * `X-Trackbridge-Signature-256`, `X-Trackbridge-Delivery` (new on every attempt: a receiver drops a
 * delivery it has seen), `X-Trackbridge-Event` (the event id: the same on every attempt, to dedupe),
 * `X-Trackbridge-Event-Type`. A 2xx is delivered; 408, 429 and 5xx (honouring Retry-After) and network
 * errors are retried; any other status is permanent: the event becomes the sink's dead letter.
 */
export const webhookSink: SinkDefinition<z.output<typeof configSchema>, z.output<typeof secretsSchema>> = {
  kind: 'webhook',
  description: 'POSTs each change to a URL as JSON, signed with HMAC-SHA256 (X-Trackbridge-Signature-256)',
  configSchema,
  secretsSchema,
  destinations: ({ config }) => [{ path: 'config.url', url: config.url }],
  async open({ config, secrets }, { egress }): Promise<SinkPublisher> {
    return {
      async publish(message: ChangeMessage) {
        const body = JSON.stringify(message);
        let res: Response;
        try {
          // Under the egress policy at every connect (a URL stored before a policy change, a name that now resolves elsewhere).
          res = await egress.fetch(config.url, {
            method: 'POST',
            body,
            redirect: 'manual',
            signal: AbortSignal.timeout(config.timeoutSeconds * 1000),
            headers: {
              'content-type': 'application/json',
              'user-agent': 'trackbridge-webhook/1',
              [SIGNATURE_HEADER]: signPayload(secrets.secret, body),
              'x-trackbridge-delivery': randomUUID(),
              'x-trackbridge-event': String(message.eventId),
              'x-trackbridge-event-type': `${message.event.target}.${message.event.action}`,
            },
          });
        } catch (err) {
          if (isDestinationRefused(err)) throw err;
          throw new TransientError(`webhook ${new URL(config.url).host} unreachable: ${(err as Error).message}`);
        }
        await res.body?.cancel().catch(() => undefined);
        if (res.ok) return;
        const what = `webhook ${new URL(config.url).host} answered ${res.status}`;
        if (res.status === 408 || res.status === 429 || res.status >= 500) throw new TransientError(what, res.status, parseRetryAfter(res.headers, Date.now()));
        throw new PermanentError(what, res.status);
      },
      async close() { /* nothing held open */ },
    };
  },
};
