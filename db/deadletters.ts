import { and, asc, desc, eq, sql } from 'drizzle-orm';
import type { Db } from './client';
import { deadLetters, pushLog } from './schema';

export type DeadLetter = typeof deadLetters.$inferSelect;

/** A write the remote rejected for good: stored, visible and retryable; it no longer blocks the binding. */
export async function insertDeadLetter(db: Db, values: { bindingId: string; storyId: string; eventId: number; error: string }): Promise<void> {
  await db.insert(deadLetters).values(values);
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
