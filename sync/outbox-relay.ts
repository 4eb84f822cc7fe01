import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import { and, asc, eq, inArray, ne, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import { queryRows, withTx, type Database, type Db } from '../db/client';
import { OUTBOX_CHANNEL } from '../db/hub';
import { bindings, connections, outboxEvents, outboxPending } from '../db/schema';
import { backlogWorkflowId, pushWorkflowId } from '../workflows/contract';
import { routeEvent } from '../workflows/route';
import { signalBacklog, signalPush, startHookFiring, wakeSink, type DispatchBinding } from '../temporal/dispatch';
import { enqueueForSinks } from '../db/sinks';
import { deleteFirings, fireHooksInOrder, lockFirings, type HookFiringOf } from '../db/hooks';
import { pruneHistory, type RetentionDays } from '../db/retention';
import { hooksFor } from '../plugins/registry';
import { hookPoints, type HookPoint } from '../plugins/types';
import { summarizeError } from '../lib/error-summary';

const BATCH = 500;
/**
 * A batch of at least this many events means a bulk write (an initial sync, an import): while more keep
 * coming, the relay waits SETTLE_MS before its next batch, so they go in fewer, fuller batches. Each
 * batch costs the same handful of round trips whatever its size, and during an initial sync of 10,000
 * items the relay's 60 batches of ~170 competed with the sync for the same cores (P1 in docs/performance.md).
 * Edits at an interactive pace come one or a few at a time and are relayed at once.
 */
const BULK_BATCH = 100;
const SETTLE_MS = 100;
const PRUNE_EVERY_MS = 3600_000;
/** Retries after a failed batch back off to this; a LISTEN that comes back wakes the relay sooner. */
const MAX_RETRY_DELAY_MS = 5_000;
/** The advisory lock that makes one relay at a time work on the outbox of a database. */
const RELAY_LOCK = 'trackbridge:outbox-relay';
/** A relay whose process hangs or whose host vanishes mid-batch loses its turn (and its transaction) after this. */
const TURN_TIMEOUT = '60s';

/**
 * Takes this relay's turn: every worker runs a relay, but only one at a time may hold a batch. Two
 * batches held at once commit in either order, and the later one first lets a sink publish a story's
 * newer event before its older one is even queued (O3), and hook firings be queued out of order. The
 * lock is the transaction's: a relay that dies mid-batch (its connection closes) hands over at once,
 * and one that hangs or vanishes without closing its connection is cut off by TURN_TIMEOUT. With
 * `wait` false a relay that finds the turn taken skips it: the holder LISTENs on the same channel,
 * so the notification that woke the others makes it run again.
 */
async function takeTurn(tx: Db, wait: boolean): Promise<boolean> {
  const lock = wait
    ? sql`pg_advisory_xact_lock(hashtextextended(${RELAY_LOCK}, 0)) is not null`
    : sql`pg_try_advisory_xact_lock(hashtextextended(${RELAY_LOCK}, 0))`;
  const [row] = await queryRows<{ taken: boolean }>(tx, sql`
    select set_config('idle_in_transaction_session_timeout', ${TURN_TIMEOUT}, true) as timeout, ${lock} as taken`);
  return row?.taken === true;
}

export interface OutboxRelay {
  /** Relays what is committed now (tests and shutdown use it). */
  flush(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Moves committed outbox events to Temporal: each event goes to the story's push workflow on every
 * binding of its project except the one it came from (E1), or to the binding's backlog while it is
 * backlogged or paused (O2). An event leaves the pending queue (outbox_pending) in the transaction that
 * read it, after its signals went out; if the process dies in between, it is sent again and the
 * workflow ignores the duplicate by event id. Every worker runs one, and one at a time holds a batch (takeTurn), so batches
 * commit in event order. Woken by LISTEN/NOTIFY, with polling as the fallback; the LISTEN reconnects by
 * itself after a lost connection and wakes the relay when it is back (see Database.listen).
 */
export async function startOutboxRelay(opts: {
  database: Database; temporal: Client; taskQueue: string; logger: Logger; pollMs: number; retention?: RetentionDays;
}): Promise<OutboxRelay> {
  const { database, logger } = opts;
  let prunedAt = 0;
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
      let skipped = false;
      dirty = false;
      try {
        const batch = await relayBatch(database.db, opts, false);
        // Another relay has the turn: it runs again on the notification that woke this one, so this
        // one waits for the next notification or poll instead of trying again at once.
        skipped = batch === null;
        relayed = Math.max(batch ?? 0, await dispatchHookFirings(database.db, opts));
        if (opts.retention && Date.now() - prunedAt > PRUNE_EVERY_MS) {
          prunedAt = Date.now();
          const pruned = await pruneHistory(database.db, opts.retention);
          if (pruned.hookRuns || pruned.jobs || pruned.outboxEvents || pruned.explain) logger.info(pruned, 'pruned history past its retention');
        }
        failures = 0;
      } catch (err) {
        failures++;
        logger.error({ err: summarizeError(err), failures }, 'outbox relay failed; retrying');
      }
      if (relayed === BATCH) continue;
      if (dirty && !failures && !skipped) {
        if (relayed >= BULK_BATCH) await sleep(SETTLE_MS);
        continue;
      }
      const delay = failures ? Math.min(MAX_RETRY_DELAY_MS, opts.pollMs * 2 ** (failures - 1)) : opts.pollMs;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        wake = () => { clearTimeout(timer); resolve(); };
      });
      wake = undefined;
    }
  })();

  return {
    flush: async () => ((await relayBatch(database.db, opts, true)) ?? 0) + (await dispatchHookFirings(database.db, opts)),
    async stop() {
      running = false;
      kick();
      await loop;
      await unlisten();
    },
  };
}

/** Relays the oldest waiting events; null when another relay has the turn and `wait` is false. */
async function relayBatch(db: Db, opts: { temporal: Client; taskQueue: string }, wait: boolean): Promise<number | null> {
  const relayed = await withTx(db, async (tx) => {
    if (!(await takeTurn(tx, wait))) return null;
    // An event's changes (its field values, a story's whole body on a create) are read only for the hooks that take them.
    const changes = hooksFor('story.created').length || hooksFor('story.updated').length ? outboxEvents.changes : sql<OutboxEvent['changes']>`'[]'::jsonb`;
    // No row locks: the turn is what keeps two relays off the same events.
    const events = await tx
      .select({ id: outboxEvents.id, projectId: outboxEvents.projectId, storyId: outboxEvents.storyId, origin: outboxEvents.origin, action: outboxEvents.action, target: outboxEvents.target, actor: outboxEvents.actor, changes })
      .from(outboxPending).innerJoin(outboxEvents, eq(outboxEvents.id, outboxPending.eventId)).orderBy(asc(outboxPending.eventId)).limit(BATCH);
    if (!events.length) return { count: 0, sinks: [] as string[] };
    const targets = await tx
      .select({ id: bindings.id, projectId: bindings.projectId, connector: connections.connector, state: bindings.state, backlogged: bindings.backlogged })
      .from(bindings)
      .innerJoin(connections, eq(connections.id, bindings.connectionId))
      .where(and(inArray(bindings.projectId, [...new Set(events.map((e) => e.projectId))]), ne(bindings.state, 'deleted')));
    // Signals to one workflow go out in event order; different workflows in parallel. A push workflow
    // writes the story's latest state and ignores an event older than one it has seen, so it is sent
    // only the batch's newest event for it; a backlog queues a story from its oldest event, so it gets each.
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
        perWorkflow.set(key, queued ? [...(perWorkflow.get(key) ?? []), send] : [send]);
      }
    }
    await Promise.all([...perWorkflow.values()].map(async (sends) => {
      for (const send of sends) await send();
    }));
    await fireStoryHooks(tx, events);
    const sinkIds = await enqueueForSinks(tx, events);
    await tx.delete(outboxPending).where(inArray(outboxPending.eventId, events.map((e) => e.id)));
    return { count: events.length, sinks: sinkIds };
  });
  if (!relayed) return null;
  // After the commit, so the sink's delivery sees what was queued; a lost wake is caught by its minute's poll.
  await Promise.all(relayed.sinks.map((id) => wakeSink(opts.temporal, opts.taskQueue, id)));
  return relayed.count;
}

type OutboxEvent = typeof outboxEvents.$inferSelect;

/** The hub's story changes as hook points, fired as their events are relayed (in the relay's transaction). */
async function fireStoryHooks(tx: Db, events: Pick<OutboxEvent, 'id' | 'projectId' | 'storyId' | 'origin' | 'action' | 'target' | 'actor' | 'changes'>[]): Promise<void> {
  const firings = events.flatMap((e): HookFiringOf[] => {
    if (e.target !== 'story') return [];
    const base = { projectId: e.projectId, storyId: e.storyId, eventId: e.id, origin: e.origin, actor: e.actor };
    if (e.action === 'create') return [{ point: 'story.created', payload: { ...base, fields: Object.fromEntries(e.changes.map((c) => [c.field, c.added])) } }];
    if (e.action === 'modify') return [{ point: 'story.updated', payload: { ...base, changed: e.changes.map((c) => c.field) } }];
    if (e.action === 'delete') return [{ point: 'story.deleted', payload: base }];
    return [];
  });
  await fireHooksInOrder(tx, firings);
}

/**
 * Moves queued hook firings to their `hook/<id>` workflows, oldest first, then deletes them, in one
 * transaction: a relay that dies in between starts them again, and the workflow id makes that a no-op.
 */
async function dispatchHookFirings(db: Db, opts: { temporal: Client; taskQueue: string }): Promise<number> {
  // No hook loaded here: nothing to run, and no query on every turn of the loop. Firings (written only
  // where a hook listens) wait for a worker that has the plugin.
  if (!hookPoints.some((point) => hooksFor(point).length)) return 0;
  // No turn to take: a firing's place is its id, given in the relay's turn, and firings run in parallel
  // whatever order their workflows start in, so relays share this work.
  return withTx(db, async (tx) => {
    const firings = await lockFirings(tx, BATCH);
    for (const f of firings) {
      const hooks = hooksFor(f.point as HookPoint).map(({ plugin, hook }) => ({ plugin, hook: hook.name }));
      if (!hooks.length) continue;
      await startHookFiring(opts.temporal, opts.taskQueue, {
        firingId: f.id, point: f.point as HookPoint, payload: f.payload as never, firedAt: f.createdAt.toISOString(), hooks,
      });
    }
    await deleteFirings(tx, firings.map((f) => f.id));
    return firings.length;
  });
}
