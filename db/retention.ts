import type { Db } from './client';
import { pruneExplain } from './explain';
import { pruneHookRuns } from './hooks';
import { pruneJobs } from './jobs';
import { pruneOutbox } from './sinks';

const DAY_MS = 86_400_000;

/** How long each kind of history is kept (HOOK_RUN_RETENTION_DAYS and its siblings). */
export interface RetentionDays { hookRuns: number; jobs: number; outbox: number; explain: number }

/** Deletes hook runs, finished jobs, outbox events (relayed, waiting on no sink) and explain-log entries older than their retention. */
export async function pruneHistory(db: Db, days: RetentionDays, now = new Date()): Promise<{ hookRuns: number; jobs: number; outboxEvents: number; explain: number }> {
  const before = (d: number) => new Date(now.getTime() - d * DAY_MS);
  return {
    hookRuns: await pruneHookRuns(db, before(days.hookRuns)),
    jobs: await pruneJobs(db, before(days.jobs)),
    outboxEvents: await pruneOutbox(db, before(days.outbox)),
    explain: await pruneExplain(db, before(days.explain)),
  };
}
