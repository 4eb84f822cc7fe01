import { and, asc, desc, eq, gt, inArray, lt, or, sql, type SQL } from 'drizzle-orm';
import { queryRows, type Db } from './client';
import { jobEntries, jobs } from './schema';

export type Job = typeof jobs.$inferSelect;
export type JobEntry = typeof jobEntries.$inferSelect;

export const JOB_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/**
 * Where a job may go from each status. `running → running` is a retried attempt claiming the job
 * again; the terminal statuses go nowhere, so a late writer (an attempt that outlived its
 * cancellation, a start that failed after all) can never overwrite how a job ended.
 */
export const jobTransitions: Record<JobStatus, readonly JobStatus[]> = {
  queued: ['running', 'failed', 'cancelled'],
  running: ['running', 'succeeded', 'failed', 'cancelled'],
  succeeded: [],
  failed: [],
  cancelled: [],
};

const sourcesOf = (to: JobStatus) => JOB_STATUSES.filter((from) => jobTransitions[from].includes(to));
export const isTerminal = (status: string) => status === 'succeeded' || status === 'failed' || status === 'cancelled';

export async function insertJob(db: Db, values: { id: string; plugin: string; action: string; params: Record<string, unknown>; createdBy: string | null }): Promise<Job> {
  const [row] = await db.insert(jobs).values(values).returning();
  return row!;
}

export async function getJob(db: Db, id: string): Promise<Job | undefined> {
  const [row] = await db.select().from(jobs).where(eq(jobs.id, id));
  return row;
}

/**
 * Moves a job to `to` when its current status allows it (see jobTransitions), setting the start
 * or finish time as it goes. Returns the updated row, or undefined when the move was not allowed.
 */
export async function transitionJob(db: Db, id: string, to: JobStatus, fields: { result?: unknown; error?: string } = {}): Promise<Job | undefined> {
  const terminal = isTerminal(to);
  const [row] = await db
    .update(jobs)
    .set({
      status: to,
      ...(to === 'running' ? { startedAt: sql`coalesce(${jobs.startedAt}, now())` } : {}),
      ...(terminal ? { finishedAt: sql`now()` } : {}),
      ...(to === 'succeeded' ? { progress: 1, result: fields.result ?? null } : {}),
      ...(fields.error !== undefined ? { error: fields.error } : {}),
    })
    .where(and(eq(jobs.id, id), inArray(jobs.status, sourcesOf(to))))
    .returning();
  return row;
}

/**
 * Appends what a running action reported and moves the job's progress, in one statement: nothing
 * is written once the job has ended (a cancelled job's action may still be winding down).
 */
export async function appendJobEntry(db: Db, jobId: string, entry: { message: string; progress?: number | undefined; data?: unknown }): Promise<boolean> {
  const progress = entry.progress ?? null;
  const data = entry.data === undefined ? null : JSON.stringify(entry.data);
  const rows = await queryRows(db, sql`
    with job as (
      update ${jobs} set progress = coalesce(${progress}::double precision, progress)
      where id = ${jobId} and status = 'running'
      returning id
    )
    insert into ${jobEntries} (job_id, message, progress, data)
    select id, ${entry.message}, ${progress}::double precision, ${data}::jsonb from job
    returning id`);
  return rows.length > 0;
}

/** A job's entries in the order they were written, after `afterId` (for paging a long log). */
export async function listJobEntries(db: Db, jobId: string, opts: { afterId?: number; limit: number }): Promise<JobEntry[]> {
  const where = opts.afterId === undefined ? eq(jobEntries.jobId, jobId) : and(eq(jobEntries.jobId, jobId), gt(jobEntries.id, opts.afterId));
  return db.select().from(jobEntries).where(where).orderBy(asc(jobEntries.id)).limit(opts.limit);
}

export interface JobListCursor { createdAt: Date; id: string }

/** Jobs newest first, optionally of one plugin or status, `limit` of them after `cursor`. */
export async function listJobs(db: Db, opts: { plugin?: string | undefined; status?: JobStatus | undefined; cursor?: JobListCursor | undefined; limit: number }): Promise<Job[]> {
  const conditions: SQL[] = [];
  if (opts.plugin !== undefined) conditions.push(eq(jobs.plugin, opts.plugin));
  if (opts.status !== undefined) conditions.push(eq(jobs.status, opts.status));
  if (opts.cursor) {
    const { createdAt, id } = opts.cursor;
    conditions.push(or(lt(jobs.createdAt, createdAt), and(eq(jobs.createdAt, createdAt), lt(jobs.id, id)))!);
  }
  return db.select().from(jobs).where(and(...conditions)).orderBy(desc(jobs.createdAt), desc(jobs.id)).limit(opts.limit);
}

/** Deletes jobs that ended before `olderThan` (their entries go with them); returns how many. */
export async function pruneJobs(db: Db, olderThan: Date): Promise<number> {
  const rows = await db.delete(jobs).where(and(inArray(jobs.status, ['succeeded', 'failed', 'cancelled']), lt(jobs.finishedAt, olderThan))).returning({ id: jobs.id });
  return rows.length;
}
