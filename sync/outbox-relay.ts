import type { Client } from '@temporalio/client';
import { and, asc, eq, inArray, isNull, ne } from 'drizzle-orm';
import type { Logger } from 'pino';
import { withTx, type Database, type Db } from '../db/client';
import { OUTBOX_CHANNEL } from '../db/hub';
import { bindings, connections, outboxEvents } from '../db/schema';
import { backlogWorkflowId, pushWorkflowId } from '../workflows/contract';
import { routeEvent } from '../workflows/route';
import { signalBacklog, signalPush, type DispatchBinding } from './dispatch';
import { summarizeError } from '../lib/error-summary';

const BATCH = 200;
/** Retries after a failed batch back off to this; a LISTEN that comes back wakes the relay sooner. */
const MAX_RETRY_DELAY_MS = 5_000;

export interface OutboxRelay {
  /** Relays what is committed now (tests and shutdown use it). */
  flush(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Moves committed outbox events to Temporal: each event goes to the story's push workflow on every
 * binding of its project except the one it came from (E1), or to the binding's backlog while it is
 * backlogged or paused (O2). An event is marked relayed in the same transaction that locked it, after
 * its signals went out; if the process dies in between, it is sent again and the workflow ignores the
 * duplicate by event id. Woken by LISTEN/NOTIFY, with polling as the fallback; the LISTEN reconnects by
 * itself after a lost connection and wakes the relay when it is back (see Database.listen).
 */
export async function startOutboxRelay(opts: { database: Database; temporal: Client; taskQueue: string; logger: Logger; pollMs: number }): Promise<OutboxRelay> {
  const { database, logger } = opts;
  let running = true;
  let wake: (() => void) | undefined;
  // A notification that arrives mid-batch must not be lost until the next poll.
  let dirty = false;
  const kick = () => {
    dirty = true;
    wake?.();
  };
  const unlisten = await database.listen(OUTBOX_CHANNEL, kick).catch((err: unknown) => {
    logger.warn({ err: summarizeError(err) }, 'LISTEN unavailable; the outbox relay polls');
    return async () => undefined;
  });

  let failures = 0;
  const loop = (async () => {
    while (running) {
      let relayed = 0;
      dirty = false;
      try {
        relayed = await relayBatch(database.db, opts);
        failures = 0;
      } catch (err) {
        failures++;
        logger.error({ err: summarizeError(err), failures }, 'outbox relay failed; retrying');
      }
      if (relayed === BATCH || (dirty && !failures)) continue;
      const delay = failures ? Math.min(MAX_RETRY_DELAY_MS, opts.pollMs * 2 ** (failures - 1)) : opts.pollMs;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        wake = () => { clearTimeout(timer); resolve(); };
      });
      wake = undefined;
    }
  })();

  return {
    flush: () => relayBatch(database.db, opts),
    async stop() {
      running = false;
      kick();
      await loop;
      await unlisten();
    },
  };
}

async function relayBatch(db: Db, opts: { temporal: Client; taskQueue: string }): Promise<number> {
  return withTx(db, async (tx) => {
    const events = await tx.select().from(outboxEvents).where(isNull(outboxEvents.relayedAt)).orderBy(asc(outboxEvents.id)).limit(BATCH).for('update', { skipLocked: true });
    if (!events.length) return 0;
    const targets = await tx
      .select({ id: bindings.id, projectId: bindings.projectId, connector: connections.connector, state: bindings.state, backlogged: bindings.backlogged })
      .from(bindings)
      .innerJoin(connections, eq(connections.id, bindings.connectionId))
      .where(and(inArray(bindings.projectId, [...new Set(events.map((e) => e.projectId))]), ne(bindings.state, 'deleted')));
    // Signals to one workflow go out in event order; different workflows in parallel.
    const perWorkflow = new Map<string, (() => Promise<void>)[]>();
    for (const event of events) {
      for (const b of targets) {
        if (b.projectId !== event.projectId || b.id === event.origin) continue;
        const binding: DispatchBinding = { id: b.id, projectId: b.projectId, connector: b.connector };
        const route = routeEvent(b, 'direct');
        if (route.to === 'skip') continue;
        const queued = route.to === 'backlog';
        const key = queued ? backlogWorkflowId(b.id) : pushWorkflowId(b.id, event.storyId);
        const send = queued
          ? () => signalBacklog(opts.temporal, opts.taskQueue, binding, event.storyId, event.id)
          : () => signalPush(opts.temporal, opts.taskQueue, binding, event.storyId, event.id);
        perWorkflow.set(key, [...(perWorkflow.get(key) ?? []), send]);
      }
    }
    await Promise.all([...perWorkflow.values()].map(async (sends) => {
      for (const send of sends) await send();
    }));
    await tx.update(outboxEvents).set({ relayedAt: new Date() }).where(inArray(outboxEvents.id, events.map((e) => e.id)));
    return events.length;
  });
}
