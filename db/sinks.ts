import { and, asc, count, desc, eq, inArray, isNull, min, or, sql } from 'drizzle-orm';
import { queryRows, withTx, type Db } from './client';
import { deadLettersCreated } from '../lib/metrics';
import { outboxEvents, projects, sinkDeadLetters, sinkQueue, sinks, stories } from './schema';

export type Sink = typeof sinks.$inferSelect;
export type SinkDeadLetter = typeof sinkDeadLetters.$inferSelect;
export type OutboxRow = typeof outboxEvents.$inferSelect;

export async function insertSink(db: Db, values: typeof sinks.$inferInsert): Promise<Sink> {
  const [row] = await db.insert(sinks).values(values).returning();
  return row!;
}

export async function getSink(db: Db, id: string): Promise<Sink | undefined> {
  const [row] = await db.select().from(sinks).where(eq(sinks.id, id));
  return row;
}

export async function listSinks(db: Db, projectId?: string): Promise<Sink[]> {
  return db.select().from(sinks).where(projectId ? eq(sinks.projectId, projectId) : undefined).orderBy(desc(sinks.createdAt));
}

export async function updateSink(db: Db, id: string, values: Partial<typeof sinks.$inferInsert>): Promise<Sink | undefined> {
  const [row] = await db.update(sinks).set({ ...values, updatedAt: new Date() }).where(eq(sinks.id, id)).returning();
  return row;
}

export async function deleteSink(db: Db, id: string): Promise<boolean> {
  return (await db.delete(sinks).where(eq(sinks.id, id)).returning({ id: sinks.id })).length > 0;
}

/**
 * Queues events on every sink that takes them (its project's, or all projects'), in the relay's
 * transaction. Returns the sinks that got something, to wake their delivery.
 */
export async function enqueueForSinks(db: Db, events: Pick<OutboxRow, 'id' | 'projectId'>[]): Promise<string[]> {
  if (!events.length) return [];
  const projectIds = [...new Set(events.map((e) => e.projectId))];
  const targets = await db.select({ id: sinks.id, projectId: sinks.projectId }).from(sinks).where(or(isNull(sinks.projectId), inArray(sinks.projectId, projectIds)));
  const rows = targets.flatMap((s) => events.filter((e) => s.projectId === null || s.projectId === e.projectId).map((e) => ({ sinkId: s.id, eventId: e.id })));
  if (!rows.length) return [];
  await db.insert(sinkQueue).values(rows).onConflictDoNothing();
  return [...new Set(rows.map((r) => r.sinkId))];
}

/** Queues a sink again from `fromEventId` on (a replay), as far back as the outbox keeps events. Returns how many. */
export async function replaySink(db: Db, sink: Pick<Sink, 'id' | 'projectId'>, fromEventId: number): Promise<number> {
  const rows = await queryRows<{ event_id: number }>(db, sql`
    insert into sink_queue (sink_id, event_id)
    select ${sink.id}, id from outbox_events
    where id >= ${fromEventId} ${sink.projectId ? sql`and project_id = ${sink.projectId}` : sql``}
    on conflict do nothing
    returning event_id`);
  return rows.length;
}

/** The oldest events waiting on a sink, with what the message needs: the event, its project and story. */
export async function sinkQueueHead(db: Db, sinkId: string, limit: number) {
  return db
    .select({ event: outboxEvents, projectKey: projects.key, story: stories })
    .from(sinkQueue)
    .innerJoin(outboxEvents, eq(outboxEvents.id, sinkQueue.eventId))
    .innerJoin(projects, eq(projects.id, outboxEvents.projectId))
    .leftJoin(stories, eq(stories.id, outboxEvents.storyId))
    .where(eq(sinkQueue.sinkId, sinkId))
    .orderBy(asc(sinkQueue.eventId))
    .limit(limit);
}

/** Queue rows whose event the outbox no longer keeps: dropped, they can never be delivered. */
export async function dropOrphanedQueueRows(db: Db, sinkId: string): Promise<number> {
  const rows = await queryRows(db, sql`delete from sink_queue q where q.sink_id = ${sinkId} and not exists (select 1 from outbox_events e where e.id = q.event_id) returning q.event_id`);
  return rows.length;
}

/** Takes delivered events off the sink's queue and counts them, in one transaction. */
export async function markDelivered(db: Db, sinkId: string, eventIds: number[]): Promise<void> {
  await withTx(db, async (tx) => {
    await tx.delete(sinkQueue).where(and(eq(sinkQueue.sinkId, sinkId), inArray(sinkQueue.eventId, eventIds)));
    await tx.update(sinks).set({ delivered: sql`${sinks.delivered} + ${eventIds.length}`, lastDeliveredAt: new Date(), lastError: null }).where(eq(sinks.id, sinkId));
  });
}

/** A permanent refusal: the event leaves the queue for the sink's dead letters, and the sink goes on. */
export async function deadLetterSinkEvent(db: Db, sinkId: string, eventId: number, error: string): Promise<void> {
  await withTx(db, async (tx) => {
    await tx.insert(sinkDeadLetters).values({ sinkId, eventId, error });
    await tx.delete(sinkQueue).where(and(eq(sinkQueue.sinkId, sinkId), eq(sinkQueue.eventId, eventId)));
    await tx.update(sinks).set({ failed: sql`${sinks.failed} + 1` }).where(eq(sinks.id, sinkId));
  });
  deadLettersCreated.inc({ kind: 'sink' });
}

export async function recordSinkError(db: Db, sinkId: string, error: string): Promise<void> {
  await db.update(sinks).set({ lastError: error }).where(eq(sinks.id, sinkId));
}

/** How far behind a sink is: events waiting, and the age of the oldest. */
export async function sinkBacklog(db: Db, sinkId: string): Promise<{ size: number; oldestAt: Date | null }> {
  const [row] = await db
    .select({ size: count(), oldest: min(outboxEvents.time) })
    .from(sinkQueue)
    .innerJoin(outboxEvents, eq(outboxEvents.id, sinkQueue.eventId))
    .where(eq(sinkQueue.sinkId, sinkId));
  return { size: row?.size ?? 0, oldestAt: row?.oldest ?? null };
}

export async function listSinkDeadLetters(db: Db, sinkId: string, state = 'open'): Promise<SinkDeadLetter[]> {
  return db.select().from(sinkDeadLetters).where(and(eq(sinkDeadLetters.sinkId, sinkId), eq(sinkDeadLetters.state, state))).orderBy(asc(sinkDeadLetters.createdAt));
}

/** Retry: the event goes back on the queue (delivered before newer ones: the queue is in event order). */
export async function retrySinkDeadLetters(db: Db, sinkId: string, ids?: string[]): Promise<number> {
  const where = and(eq(sinkDeadLetters.sinkId, sinkId), eq(sinkDeadLetters.state, 'open'), ids ? inArray(sinkDeadLetters.id, ids) : undefined);
  const rows = await db.update(sinkDeadLetters).set({ state: 'retried', resolvedAt: new Date() }).where(where).returning();
  if (rows.length) await db.insert(sinkQueue).values(rows.map((r) => ({ sinkId, eventId: r.eventId }))).onConflictDoNothing();
  return rows.length;
}

export async function dropSinkDeadLetter(db: Db, sinkId: string, id: string): Promise<number> {
  const rows = await db.update(sinkDeadLetters).set({ state: 'dropped', resolvedAt: new Date() })
    .where(and(eq(sinkDeadLetters.sinkId, sinkId), eq(sinkDeadLetters.id, id), eq(sinkDeadLetters.state, 'open'))).returning();
  return rows.length;
}

/**
 * Deletes outbox events past the retention that every part of the engine is done with: relayed, and
 * waiting on no sink. Replays reach back as far as what is left.
 */
export async function pruneOutbox(db: Db, olderThan: Date): Promise<number> {
  const rows = await queryRows(db, sql`
    delete from outbox_events e
    where e.time < ${olderThan.toISOString()}::timestamptz
      and not exists (select 1 from outbox_pending p where p.event_id = e.id)
      and not exists (select 1 from sink_queue q where q.event_id = e.id)
    returning e.id`);
  return rows.length;
}

