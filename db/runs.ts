import { and, eq, sql } from 'drizzle-orm';
import type { Db } from './client';
import { runs, type RunCounts } from './schema';

export type Run = typeof runs.$inferSelect;
export type RunKind = 'initial-sync' | 'pull' | 'push' | 'backlog';

/** Creates the run row for a workflow chain, or returns the existing one (activities may retry). */
export async function beginRun(db: Db, values: { kind: RunKind; workflowId: string; temporalRunId: string; bindingId: string | null }): Promise<Run> {
  await db.insert(runs).values(values).onConflictDoNothing({ target: [runs.workflowId, runs.temporalRunId] });
  const [row] = await db.select().from(runs).where(and(eq(runs.workflowId, values.workflowId), eq(runs.temporalRunId, values.temporalRunId)));
  return row!;
}

/** Adds a page's counts atomically, so a retried page never double-counts more than it re-applies. */
export async function addRunCounts(db: Db, runId: string, delta: RunCounts, progress?: Record<string, unknown>): Promise<void> {
  await db
    .update(runs)
    .set({
      counts: sql`jsonb_build_object(
        'created', (${runs.counts}->>'created')::int + ${delta.created},
        'updated', (${runs.counts}->>'updated')::int + ${delta.updated},
        'unchanged', (${runs.counts}->>'unchanged')::int + ${delta.unchanged},
        'failed', (${runs.counts}->>'failed')::int + ${delta.failed})`,
      ...(progress ? { progress } : {}),
    })
    .where(eq(runs.id, runId));
}

/** Where a batch of pages got to: stored after each page (comments included), read by a retried attempt. */
export async function saveCheckpoint(db: Db, runId: string, checkpoint: Record<string, unknown>): Promise<void> {
  await db.update(runs).set({ progress: { checkpoint } }).where(eq(runs.id, runId));
}

export async function loadCheckpoint<T>(db: Db, runId: string): Promise<T | undefined> {
  const [row] = await db.select({ progress: runs.progress }).from(runs).where(eq(runs.id, runId));
  return (row?.progress as { checkpoint?: T } | null)?.checkpoint;
}

/** Closes a run; returns its counts, which every page added in its own transaction (the authoritative tally). */
export async function finishRun(db: Db, runId: string, status: 'completed' | 'failed' | 'skipped', error: string | null = null): Promise<RunCounts | undefined> {
  const [row] = await db.update(runs).set({ status, error, finishedAt: new Date() }).where(eq(runs.id, runId)).returning({ counts: runs.counts });
  return row?.counts;
}

export async function getRunByWorkflow(db: Db, workflowId: string): Promise<Run | undefined> {
  const [row] = await db.select().from(runs).where(eq(runs.workflowId, workflowId)).orderBy(sql`${runs.startedAt} desc`).limit(1);
  return row;
}

export async function runningRun(db: Db, bindingId: string, kind: RunKind): Promise<Run | undefined> {
  const [row] = await db.select().from(runs).where(and(eq(runs.bindingId, bindingId), eq(runs.kind, kind), eq(runs.status, 'running'))).limit(1);
  return row;
}
