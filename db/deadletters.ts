import { and, asc, desc, eq, sql } from 'drizzle-orm';
import { withTx, type Db } from './client';
import { fireHook } from './hooks';
import { deadLettersCreated } from '../lib/metrics';
import { deadLetters, pushLog } from './schema';

export type DeadLetter = typeof deadLetters.$inferSelect;

/**
 * A write the remote rejected for good: stored, visible and retryable; it no longer blocks the binding.
 * Fires `deadletter.created` in the same transaction.
 */
export async function insertDeadLetter(db: Db, values: { bindingId: string; storyId: string; eventId: number; error: string }): Promise<string> {
  return withTx(db, async (tx) => {
    const [row] = await tx.insert(deadLetters).values(values).returning({ id: deadLetters.id });
    await fireHook(tx, 'deadletter.created', { bindingId: values.bindingId, storyId: values.storyId, deadLetterId: row!.id, eventId: values.eventId, error: values.error });
    deadLettersCreated.inc({ kind: 'binding' });
    return row!.id;
  });
}

export async function listDeadLetters(db: Db, bindingId: string, state = 'open'): Promise<DeadLetter[]> {
  return db.select().from(deadLetters).where(and(eq(deadLetters.bindingId, bindingId), eq(deadLetters.state, state))).orderBy(asc(deadLetters.createdAt));
}

/** Marks open dead letters (one, or all of a binding) as retried or dropped; returns the affected rows. */
export async function resolveDeadLetters(db: Db, bindingId: string, state: 'retried' | 'dropped', id?: string): Promise<DeadLetter[]> {
  const where = id
    ? and(eq(deadLetters.bindingId, bindingId), eq(deadLetters.id, id), eq(deadLetters.state, 'open'))
    : and(eq(deadLetters.bindingId, bindingId), eq(deadLetters.state, 'open'));
  return db.update(deadLetters).set({ state, resolvedAt: new Date() }).where(where).returning();
}

export async function logPush(db: Db, values: typeof pushLog.$inferInsert): Promise<void> {
  await db.insert(pushLog).values(values);
}

export async function pushHistory(db: Db, storyId: string, limit = 100) {
  return db.select().from(pushLog).where(eq(pushLog.storyId, storyId)).orderBy(desc(pushLog.id)).limit(limit);
}

export async function countOpenDeadLetters(db: Db, bindingId: string): Promise<number> {
  const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(deadLetters).where(and(eq(deadLetters.bindingId, bindingId), eq(deadLetters.state, 'open')));
  return row?.n ?? 0;
}
