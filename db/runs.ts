import { and, eq, sql } from 'drizzle-orm';
import { sameJson } from '../rules/values';
import { withTx, type Db } from './client';
import { fireHook } from './hooks';
import { runs, type RunCounts } from './schema';

export type Run = typeof runs.$inferSelect;
export type RunKind = 'initial-sync' | 'pull' | 'push' | 'backlog';

/** Creates the run row for a workflow chain, or returns the existing one (activities may retry). */
export async function beginRun(db: Db, values: { kind: RunKind; workflowId: string; temporalRunId: string; bindingId: string | null }): Promise<Run> {
  await db.insert(runs).values(values).onConflictDoNothing({ target: [runs.workflowId, runs.temporalRunId] });
  const [row] = await db.select().from(runs).where(and(eq(runs.workflowId, values.workflowId), eq(runs.temporalRunId, values.temporalRunId)));
  return row!;
}

/** The run's counts plus `delta`, computed in the statement so concurrent additions never lose one. */
const plusCounts = (delta: RunCounts) => sql`jsonb_build_object(
  'created', (${runs.counts}->>'created')::int + ${delta.created},
  'updated', (${runs.counts}->>'updated')::int + ${delta.updated},
  'unchanged', (${runs.counts}->>'unchanged')::int + ${delta.unchanged},
  'failed', (${runs.counts}->>'failed')::int + ${delta.failed})`;

/** Adds a page's counts atomically, so a retried page never double-counts more than it re-applies. */
export async function addRunCounts(db: Db, runId: string, delta: RunCounts, progress?: Record<string, unknown>): Promise<void> {
  await db
    .update(runs)
    .set({
      counts: plusCounts(delta),
      ...(progress ? { progress } : {}),
    })
    .where(eq(runs.id, runId));
}

/**
 * A sync run's progress as its row holds it: the one source of truth for GET /runs and the binding
 * status. `checkpoint` is where the running activity got to (see sync/pull-pages.ts).
 */
export interface RunProgress { pages: number; items: number; total: number | null; comments: number; checkpoint?: Record<string, unknown> }

/** One finished page (its items applied and what hangs off them fetched). */
export interface PageDone { items: number; comments: number; total?: number | undefined; counts: RunCounts }

/**
 * Makes the run's pages committed without waiting for the disk (ApplyOptions.asyncCommit) durable: a
 * write committed the usual way flushes the write-ahead log up to its own commit, so every commit
 * before it reaches disk too. One row rewritten, once per activity.
 */
export async function flushCommittedPages(db: Db, runId: string): Promise<void> {
  await db.update(runs).set({ progress: sql`${runs.progress}` }).where(eq(runs.id, runId));
}

/**
 * Adds a finished page to its run and stores the checkpoint after it, in one statement: the page is
 * counted exactly when a retry would resume after it. A page whose attempt died before this is
 * applied again by the retry (harmlessly) and counted then, so `items` counts each remote item once.
 */
export async function commitPage(db: Db, runId: string, page: PageDone, checkpoint: object): Promise<void> {
  const { counts: delta } = page;
  const prior = (key: string) => sql`coalesce((${runs.progress}->>${key})::int, 0)`;
  await db
    .update(runs)
    .set({
      counts: plusCounts(delta),
      progress: sql`jsonb_build_object(
        'pages', ${prior('pages')} + 1,
        'items', ${prior('items')} + ${page.items},
        'comments', ${prior('comments')} + ${page.comments},
        'total', coalesce(${page.total ?? null}::int, (${runs.progress}->>'total')::int),
        'checkpoint', ${JSON.stringify(checkpoint)}::jsonb)`,
    })
    .where(eq(runs.id, runId));
}

/**
 * The counts of a page applied but not yet finished (its comments and files still to fetch). Should
 * the attempt die before the page is committed, the retry applies it again and finds its items
 * unchanged: it takes the first application's counts instead, so a fresh import still says "created".
 * `pageAt` is the cursor the page was fetched from.
 */
export async function holdPageCounts(db: Db, runId: string, pageAt: unknown, counts: RunCounts): Promise<RunCounts> {
  const [row] = await db.select({ progress: runs.progress }).from(runs).where(eq(runs.id, runId));
  const held = (row?.progress as { held?: { at: unknown; counts: RunCounts } } | null)?.held;
  // Compared regardless of key order: jsonb does not keep it.
  if (held && sameJson(held.at, pageAt)) return held.counts;
  const value = JSON.stringify({ at: pageAt ?? null, counts });
  await db.update(runs).set({ progress: sql`coalesce(${runs.progress}, '{}'::jsonb) || jsonb_build_object('held', ${value}::jsonb)` }).where(eq(runs.id, runId));
  return counts;
}

/** A run's progress as the API shows it, read from its row. */
export function runProgress(run: Pick<Run, 'kind' | 'counts' | 'progress'>) {
  const p = (run.progress ?? {}) as Partial<RunProgress>;
  const done = p.items ?? 0;
  const total = p.total ?? null;
  const percent = total ? Math.min(100, Math.round((done / total) * 100)) : null;
  const phase = run.kind === 'initial-sync' ? 'Initial sync' : run.kind === 'pull' ? 'Pull' : run.kind;
  return {
    status: `${phase}: ${done}${total ? ` of ${total}` : ''} items${percent !== null ? ` (${percent}%)` : ''}`,
    itemsDone: done,
    total,
    percent,
    pages: p.pages ?? 0,
    counts: { ...run.counts },
  };
}

export async function loadCheckpoint<T>(db: Db, runId: string): Promise<T | undefined> {
  const [row] = await db.select({ progress: runs.progress }).from(runs).where(eq(runs.id, runId));
  return (row?.progress as { checkpoint?: T } | null)?.checkpoint;
}

/** Closes a run; returns its counts and progress, which every page added with its checkpoint (the authoritative tally). */
export async function finishRun(db: Db, runId: string, status: 'completed' | 'failed' | 'skipped', error: string | null = null): Promise<{ counts: RunCounts; items: number } | undefined> {
  return withTx(db, async (tx) => {
    const [before] = await tx.select({ status: runs.status }).from(runs).where(eq(runs.id, runId)).for('update');
    const [row] = await tx.update(runs).set({ status, error, finishedAt: new Date() }).where(eq(runs.id, runId))
      .returning({ counts: runs.counts, progress: runs.progress, kind: runs.kind, bindingId: runs.bindingId });
    if (!row) return undefined;
    const closed = { counts: row.counts, items: (row.progress as Partial<RunProgress> | null)?.items ?? 0 };
    // Once per run: a retried close finds it completed already.
    if (status === 'completed' && before?.status !== 'completed' && row.bindingId && (row.kind === 'initial-sync' || row.kind === 'pull')) {
      const { created, updated, unchanged, failed } = row.counts;
      await fireHook(tx, 'sync.completed', {
        bindingId: row.bindingId, runId, kind: row.kind === 'initial-sync' ? 'initial' : 'pull', created, updated, unchanged, failed, items: closed.items,
      });
    }
    return closed;
  });
}

export async function getRunByWorkflow(db: Db, workflowId: string): Promise<Run | undefined> {
  const [row] = await db.select().from(runs).where(eq(runs.workflowId, workflowId)).orderBy(sql`${runs.startedAt} desc`).limit(1);
  return row;
}

/**
 * A binding's runs, newest first; `before` is the last row of the previous page. The order is on the
 * start time to the millisecond (what a cursor carries), then the id.
 */
export async function listBindingRuns(db: Db, bindingId: string, opts: { limit: number; before?: { startedAt: Date; id: string } }): Promise<Run[]> {
  const startedMs = sql`date_trunc('milliseconds', ${runs.startedAt})`;
  const after = opts.before ? sql`(${startedMs}, ${runs.id}) < (${opts.before.startedAt.toISOString()}::timestamptz, ${opts.before.id}::uuid)` : undefined;
  return db.select().from(runs).where(and(eq(runs.bindingId, bindingId), after)).orderBy(sql`${startedMs} desc, ${runs.id} desc`).limit(opts.limit);
}

export async function runningRun(db: Db, bindingId: string, kind: RunKind): Promise<Run | undefined> {
  const [row] = await db.select().from(runs).where(and(eq(runs.bindingId, bindingId), eq(runs.kind, kind), eq(runs.status, 'running'))).limit(1);
  return row;
}
