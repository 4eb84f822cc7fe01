import { Context } from '@temporalio/activity';
import { egressFor, isDestinationRefused } from '../connectors/http/destination';
import { getSink, recordSinkError } from '../db/sinks';
import { safeMessage, summarizeError } from '../lib/error-summary';
import { findSink } from '../plugins/registry';
import type { SinkPublisher } from '../sinks/types';
import { deliverSinkBatch } from '../sync/sinks';
import type { ActivityDeps } from './deps';
import { toFailure } from './failures';
import { PermanentError, TransientError } from '../connectors/errors';

const BATCH = 500;

export interface SinkDeliveryOutcome { state: 'active' | 'paused' | 'gone'; delivered: number; deadLettered: number; more: boolean }

export function createSinkActivities(deps: ActivityDeps) {
  // Open publishers of this worker, by sink; a changed sink (updatedAt) or a failure opens a new one.
  const open = new Map<string, { version: number; publisher: SinkPublisher }>();
  // Every sink, built-in or a plugin's, connects through the worker's egress policy.
  const egress = egressFor(deps.destinations);
  const drop = async (sinkId: string) => {
    const held = open.get(sinkId);
    open.delete(sinkId);
    await held?.publisher.close().catch(() => undefined);
  };

  return {
    /**
     * Publishes the sink's next batch of waiting events (sync/sinks.ts), serialized per sink across
     * workers so two never publish one queue out of order. Heartbeats per event.
     */
    async deliverToSink(input: { sinkId: string }): Promise<SinkDeliveryOutcome> {
      return deps.withLock(`sink:${input.sinkId}`, async () => {
        const sink = await getSink(deps.db, input.sinkId);
        if (!sink) {
          await drop(input.sinkId);
          return { state: 'gone', delivered: 0, deadLettered: 0, more: false };
        }
        if (sink.state === 'paused') {
          await drop(sink.id);
          return { state: 'paused', delivered: 0, deadLettered: 0, more: false };
        }
        const version = sink.updatedAt.getTime();
        let held = open.get(sink.id);
        try {
          if (!held || held.version !== version) {
            await drop(sink.id);
            const definition = findSink(sink.kind);
            if (!definition) throw new PermanentError(`sink kind ${sink.kind} is not loaded on this worker (check TRACKBRIDGE_PLUGINS)`);
            const config = definition.configSchema.parse(sink.config);
            const secrets = definition.secretsSchema ? definition.secretsSchema.parse(deps.secretBox.open(sink.secretsSealed)) : {};
            const logger = deps.logger.child({ sinkId: sink.id, kind: sink.kind });
            held = { version, publisher: await definition.open({ config, secrets }, { logger, sinkId: sink.id, egress }).catch(async (err: unknown) => {
              // The sink's page shows why it cannot open (a refused destination, a broker down), as it shows a failed publish.
              await recordSinkError(deps.db, sink.id, safeMessage(summarizeError(err).message));
              throw err;
            }) };
            open.set(sink.id, held);
          }
          const result = await deliverSinkBatch(deps.db, sink.id, held.publisher, { limit: BATCH, onProgress: () => Context.current().heartbeat() });
          return { state: 'active', ...result };
        } catch (err) {
          await drop(sink.id);
          // A refused destination holds the queue (retried with backoff) until the sink's URL or the allowlist changes.
          throw toFailure(isDestinationRefused(err) ? new TransientError((err as Error).message) : err);
        }
      });
    },
  };
}
