import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { tsToMs } from '@temporalio/common/lib/time';

/** Where an initial sync's wall time went, read from its Temporal history (every run of the chain). */
export interface SyncBreakdown {
  runs: number;
  /** Pages applied, summed from the syncPages results. */
  pages: number;
  /** syncPages activities (each takes a batch of pages). */
  batches: number;
  /** Wall time from the first run's start to the last run's close. */
  wallMs: number;
  /** Sum of syncPages executions (started → completed): fetch, apply and comments of each page. */
  pageActivityMs: number;
  /** Sum of syncPages queue waits (scheduled → started). */
  pageQueueMs: number;
  /** Everything else: workflow tasks between pages, continue-as-new, the other activities. */
  otherMs: number;
  /** Other activities (beginSyncRun, reconcileDeletions, completeSyncRun) by name. */
  activities: Record<string, number>;
  /** syncPages attempts beyond the first. */
  retries: number;
  /** Median and 95th percentile of one syncPages execution (a batch of pages). */
  pageP50Ms: number;
  pageP95Ms: number;
}

type HistoryEvent = NonNullable<Awaited<ReturnType<ReturnType<Client['workflow']['getHandle']>['fetchHistory']>>['events']>[number];

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export async function syncBreakdown(client: Client, workflowId: string, firstRunId: string): Promise<SyncBreakdown> {
  const events: HistoryEvent[] = [];
  let runs = 0;
  for (let runId: string | null | undefined = firstRunId; runId; runs++) {
    const list: HistoryEvent[] = (await client.workflow.getHandle(workflowId, runId).fetchHistory()).events ?? [];
    events.push(...list);
    runId = list.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
  }
  const at = (e: HistoryEvent) => tsToMs(e.eventTime);
  const scheduled = new Map<string, { name: string; at: number }>();
  const started = new Map<string, number>();
  const pageTimes: number[] = [];
  const activities: Record<string, number> = {};
  let pageQueueMs = 0;
  let pages = 0;
  let retries = 0;
  // Event ids restart in every run of the chain: key by run index and id.
  let run = 0;
  for (const e of events) {
    if (e.workflowExecutionStartedEventAttributes) run++;
    const key = (id: unknown) => `${run}:${String(id)}`;
    const s = e.activityTaskScheduledEventAttributes;
    if (s) scheduled.set(key(e.eventId), { name: s.activityType?.name ?? '?', at: at(e) });
    const st = e.activityTaskStartedEventAttributes;
    if (st) {
      started.set(key(st.scheduledEventId), at(e));
      if ((st.attempt ?? 1) > 1) retries += st.attempt! - 1;
    }
    const done = e.activityTaskCompletedEventAttributes;
    if (done) {
      const sch = scheduled.get(key(done.scheduledEventId));
      const begin = started.get(key(done.scheduledEventId));
      if (!sch || begin === undefined) continue;
      if (sch.name === 'syncPages') {
        pageTimes.push(at(e) - begin);
        pageQueueMs += begin - sch.at;
        const payload = done.result?.payloads?.[0];
        pages += payload ? (defaultPayloadConverter.fromPayload<{ pages?: number }>(payload as never).pages ?? 0) : 0;
      } else {
        activities[sch.name] = (activities[sch.name] ?? 0) + (at(e) - sch.at);
      }
    }
  }
  const wallMs = events.length ? at(events.at(-1)!) - at(events[0]!) : 0;
  const pageActivityMs = pageTimes.reduce((a, b) => a + b, 0);
  pageTimes.sort((a, b) => a - b);
  return {
    runs,
    pages,
    batches: pageTimes.length,
    wallMs,
    pageActivityMs,
    pageQueueMs,
    otherMs: wallMs - pageActivityMs - pageQueueMs,
    activities,
    retries,
    pageP50Ms: percentile(pageTimes, 50),
    pageP95Ms: percentile(pageTimes, 95),
  };
}
