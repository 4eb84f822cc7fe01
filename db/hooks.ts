import { and, asc, desc, eq, inArray, lt, sql, type SQL } from 'drizzle-orm';
import { hooksFor } from '../plugins/registry';
import type { HookPayloads, HookPoint } from '../plugins/types';
import type { Db } from './client';
import { OUTBOX_CHANNEL } from './hub';
import { hookFirings, hookRuns } from './schema';

export type HookRun = typeof hookRuns.$inferSelect;
export type HookFiring = typeof hookFirings.$inferSelect;
export const HOOK_RUN_STATUSES = ['succeeded', 'retrying', 'failed'] as const;
export type HookRunStatus = (typeof HOOK_RUN_STATUSES)[number];

/**
 * Fires a hook point: queues it for the outbox relay, which starts its `hook/<id>` workflow. Call it
 * with the transaction of the change it reports, where there is one, so a firing exists exactly when
 * the change committed. Nothing is written when no loaded plugin listens on the point.
 */
export async function fireHook<P extends HookPoint>(db: Db, point: P, payload: HookPayloads[P]): Promise<void> {
  await fireHooks(db, point, [payload]);
}

/** Fires one point many times (a pulled page) with one insert. */
export async function fireHooks<P extends HookPoint>(db: Db, point: P, payloads: HookPayloads[P][]): Promise<void> {
  if (!payloads.length || !hooksFor(point).length) return;
  await db.insert(hookFirings).values(payloads.map((payload) => ({ point, payload })));
  await db.execute(sql`select pg_notify(${OUTBOX_CHANNEL}, '')`);
}

/** One firing of any point: what fireHooksInOrder takes. */
export type HookFiringOf = { [P in HookPoint]: { point: P; payload: HookPayloads[P] } }[HookPoint];

/** Fires several points with one insert, queued in the order given (a firing's id is its place in line). */
export async function fireHooksInOrder(db: Db, firings: HookFiringOf[]): Promise<void> {
  const rows = firings.filter((f) => hooksFor(f.point).length).map((f) => ({ point: f.point, payload: f.payload }));
  if (!rows.length) return;
  await db.insert(hookFirings).values(rows);
  await db.execute(sql`select pg_notify(${OUTBOX_CHANNEL}, '')`);
}

/** The oldest queued firings, locked until the caller's transaction ends (other relays skip them). */
export async function lockFirings(db: Db, limit: number): Promise<HookFiring[]> {
  return db.select().from(hookFirings).orderBy(asc(hookFirings.id)).limit(limit).for('update', { skipLocked: true });
}

export async function deleteFirings(db: Db, ids: number[]): Promise<void> {
  if (ids.length) await db.delete(hookFirings).where(inArray(hookFirings.id, ids));
}

/** Records an attempt's outcome; a late `retrying` never overwrites how the run ended. */
export async function recordHookRun(db: Db, run: Omit<HookRun, 'updatedAt'>): Promise<void> {
  await db
    .insert(hookRuns)
    .values(run)
    .onConflictDoUpdate({
      target: [hookRuns.firingId, hookRuns.plugin, hookRuns.hook],
      set: { status: run.status, attempts: sql`greatest(${hookRuns.attempts}, ${run.attempts})`, error: run.error, updatedAt: sql`now()` },
      ...(run.status === 'retrying' ? { where: eq(hookRuns.status, 'retrying') } : {}),
    });
}

export interface HookRunCursor { updatedAt: Date; firingId: number; plugin: string; hook: string }
export interface HookRunFilter { status?: HookRunStatus; plugin?: string; hook?: string; limit: number; before?: HookRunCursor }

/** Newest first, paged on (updatedAt, firingId, plugin, hook). */
export async function listHookRuns(db: Db, filter: HookRunFilter): Promise<HookRun[]> {
  const where: SQL[] = [];
  if (filter.status) where.push(eq(hookRuns.status, filter.status));
  if (filter.plugin) where.push(eq(hookRuns.plugin, filter.plugin));
  if (filter.hook) where.push(eq(hookRuns.hook, filter.hook));
  if (filter.before) {
    const { updatedAt, firingId, plugin, hook } = filter.before;
    where.push(sql`(${hookRuns.updatedAt}, ${hookRuns.firingId}, ${hookRuns.plugin}, ${hookRuns.hook}) < (${updatedAt.toISOString()}::timestamptz, ${firingId}, ${plugin}, ${hook})`);
  }
  return db
    .select()
    .from(hookRuns)
    .where(and(...where))
    .orderBy(desc(hookRuns.updatedAt), desc(hookRuns.firingId), desc(hookRuns.plugin), desc(hookRuns.hook))
    .limit(filter.limit);
}

/** Per hook: how its runs ended, for `GET /plugins`. */
export async function hookRunCounts(db: Db): Promise<{ plugin: string; hook: string; status: string; n: number }[]> {
  return db
    .select({ plugin: hookRuns.plugin, hook: hookRuns.hook, status: hookRuns.status, n: sql<number>`count(*)::int` })
    .from(hookRuns)
    .groupBy(hookRuns.plugin, hookRuns.hook, hookRuns.status);
}

/** Drops runs older than the retention; returns how many. */
export async function pruneHookRuns(db: Db, olderThan: Date): Promise<number> {
  const rows = await db.delete(hookRuns).where(lt(hookRuns.updatedAt, olderThan)).returning({ id: hookRuns.firingId });
  return rows.length;
}
