import {
  ActivityFailure, ApplicationFailure, allHandlersFinished, condition, continueAsNew, patched, proxyActivities, setHandler, workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { Failure, controlOptions, headWriteOptions, onceWriteOptions } from './activity-options';
import { backlogQuery, enqueueSignal, wakeSignal } from './contract';

// Its messages are declared in the contract, where clients find them; re-exported to sit beside it.
export { backlogQuery, enqueueSignal, wakeSignal, type BacklogEntry, type BacklogState } from './contract';

// The backlog retries its head for as long as the remote stays down, backing off to 1 s only: the
// head is the probe that notices a recovery, and what queued is delivered within seconds of it (at
// 15 s, 50 stories took 17.6 s after the remote answered again). Nothing behind the head is attempted
// meanwhile (Bugzilla push order). A remote's retry-after still sets the wait (nextRetryDelay).
const { writeRemote } = proxyActivities<Activities>(headWriteOptions);
// The stories behind the head get one attempt each: if the remote fails again, they stay queued and
// the drain goes back to retrying the head alone.
const { writeRemote: writeOnce } = proxyActivities<Activities>(onceWriteOptions);
const control = proxyActivities<Activities>(controlOptions);

/** Stories written at once while the remote answers; order only matters within a story (O1). */
export const DRAIN_WINDOW = 4;

export interface BacklogInput {
  bindingId: string;
  /** Carried across continue-as-new: [storyId, oldest event id, newest event id]. */
  queue?: [string, number, number][];
  drained?: number;
}

interface QueueEntry { oldest: number; newest: number }
type DrainOutcome = 'done' | 'wait' | 'failed';

/**
 * One per binding: `backlog/<binding>`. Holds the stories whose events could not be delivered, in
 * order of their oldest event, and delivers them oldest first once the remote answers again. While
 * the remote fails, only the head is retried; once a write goes through, the next stories are written
 * `DRAIN_WINDOW` at a time (each story's events still in order, coalesced into one write), and any
 * failure among them drops back to the head alone. A permanent failure becomes a dead letter
 * (recorded by the activity) and the drain goes on.
 */
export async function backlog(input: BacklogInput): Promise<{ drained: number }> {
  const { bindingId } = input;
  const queue = new Map<string, QueueEntry>((input.queue ?? []).map(([s, o, n]) => [s, { oldest: o, newest: n }]));
  let drained = input.drained ?? 0;
  let woken = false;
  let waiting: string | null = null;
  const byAge = (): [string, QueueEntry][] => [...queue.entries()].sort((a, b) => a[1].oldest - b[1].oldest);

  setHandler(enqueueSignal, ({ storyId, eventId }) => {
    const entry = queue.get(storyId);
    if (!entry) queue.set(storyId, { oldest: eventId, newest: eventId });
    else entry.newest = Math.max(entry.newest, eventId);
    woken = true;
  });
  setHandler(wakeSignal, () => void (woken = true));
  setHandler(backlogQuery, () => ({ size: queue.size, oldestEventId: byAge()[0]?.[1].oldest ?? null, drained, waiting }));

  // Workflows that started before the window replay as they ran (one story at a time).
  const windowed = patched('backlog-drain-window');
  let healthy = false;

  for (;;) {
    const order = byAge();
    if (!order.length) {
      await control.clearBacklogged({ bindingId });
      await condition(allHandlersFinished);
      if (queue.size === 0) return { drained };
      continue;
    }
    const batch: { storyId: string; entry: QueueEntry; newestAtStart: number }[] = order
      .slice(0, windowed && healthy ? DRAIN_WINDOW : 1)
      .map(([storyId, entry]) => ({ storyId, entry, newestAtStart: entry.newest }));
    const outcomes: DrainOutcome[] = await Promise.all(batch.map((b, i) => drainOne(bindingId, b.storyId, b.newestAtStart, i === 0 ? 'retry' : 'once')));
    if (outcomes.includes('wait')) {
      healthy = false;
      waiting = 'binding paused';
      woken = false;
      await condition(() => woken, '1 minute');
      waiting = null;
      continue;
    }
    batch.forEach(({ storyId, entry, newestAtStart }, i) => {
      if (outcomes[i] !== 'done') return;
      // An event that arrived during the write is not covered by it: keep the story queued.
      if (entry.newest > newestAtStart) entry.oldest = newestAtStart + 1;
      else queue.delete(storyId);
      drained++;
    });
    healthy = outcomes.every((o) => o === 'done');
    if (workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof backlog>({ bindingId, drained, queue: [...queue.entries()].map(([s, e]) => [s, e.oldest, e.newest]) });
    }
  }
}

/** `retry`: until the remote answers (the head); `once`: one attempt, 'failed' if it fails (behind the head). */
async function drainOne(bindingId: string, storyId: string, eventId: number, mode: 'retry' | 'once'): Promise<DrainOutcome> {
  try {
    const result = await (mode === 'retry' ? writeRemote : writeOnce)({ bindingId, storyId, eventId, mode: 'drain' });
    return result.outcome === 'deferred' ? 'wait' : 'done';
  } catch (err) {
    const type = err instanceof ActivityFailure && err.cause instanceof ApplicationFailure ? err.cause.type : undefined;
    if (type === Failure.auth) return 'wait';
    if (type === Failure.notFound) return 'done';
    if (mode === 'once' && err instanceof ActivityFailure) return 'failed';
    throw err;
  }
}
