import {
  ActivityFailure, ApplicationFailure, allHandlersFinished, condition, continueAsNew, patched, proxyActivities, setHandler, workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { Failure, controlOptions, headWriteOptions, onceWriteOptions } from './activity-options';
import { backlogQuery, enqueueSignal, wakeSignal } from './contract';

// Its messages are declared in the contract, where clients find them; re-exported to sit beside it.
export { backlogQuery, enqueueSignal, wakeSignal, type BacklogEntry, type BacklogState } from './contract';

// While the remote stays down only the head is attempted (Bugzilla push order), and its write is the
// probe that notices the recovery: the activity retries it in-process every 200-500 ms, each attempt
// failing fast (no HTTP retries), for PROBE_MS at a time; Temporal then retries the activity, backing
// off to 1 s only. A remote's retry-after still sets the wait (nextRetryDelay). Before the probe, each
// attempt first sat through the HTTP client's own retries (up to 3.5 s) and a recovery was noticed up
// to ~2 s late; now within half a second, at fewer billable actions per minute of outage.
const { writeRemote } = proxyActivities<Activities>(headWriteOptions);
// The stories behind the head get one attempt each: if the remote fails again, they stay queued and
// the drain goes back to probing with the head alone.
const { writeRemote: writeOnce } = proxyActivities<Activities>(onceWriteOptions);
const control = proxyActivities<Activities>(controlOptions);

/** How long one attempt at the head keeps probing a remote that is down before it fails back to Temporal. */
const PROBE_MS = 30_000;

/**
 * Stories in flight at once while the remote answers, the next one starting as soon as one returns;
 * order only matters within a story (O1), and a story is never written twice at once.
 */
export const DRAIN_WINDOW = 4;
/** The window of workflows that started before the sliding window, in batches (they replay as they ran). */
const BATCH_WINDOW = 4;

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
 * the remote fails, only the head is written, probing; once it goes through, the next stories are
 * written up to `DRAIN_WINDOW` at a time (each story's events still in order, coalesced into one
 * write), and any failure among them drops back to the head alone. A permanent failure becomes a dead
 * letter (recorded by the activity) and the drain goes on.
 */
export async function backlog(input: BacklogInput): Promise<{ drained: number }> {
  const { bindingId } = input;
  const queue = new Map<string, QueueEntry>((input.queue ?? []).map(([s, o, n]) => [s, { oldest: o, newest: n }]));
  let drained = input.drained ?? 0;
  let woken = false;
  let waiting: string | null = null;
  const byAge = (): [string, QueueEntry][] => [...queue.entries()].sort((a, b) => a[1].oldest - b[1].oldest);
  /** A story written up to `newestAtStart`: an event that arrived during the write is not covered by it, and keeps it queued. */
  const settle = (storyId: string, entry: QueueEntry, newestAtStart: number) => {
    if (entry.newest > newestAtStart) entry.oldest = newestAtStart + 1;
    else queue.delete(storyId);
    drained++;
  };

  setHandler(enqueueSignal, ({ storyId, eventId }) => {
    const entry = queue.get(storyId);
    if (!entry) queue.set(storyId, { oldest: eventId, newest: eventId });
    else entry.newest = Math.max(entry.newest, eventId);
    woken = true;
  });
  setHandler(wakeSignal, () => void (woken = true));
  setHandler(backlogQuery, () => ({ size: queue.size, oldestEventId: byAge()[0]?.[1].oldest ?? null, drained, waiting }));

  // Workflows that started before the window replay as they ran (one story at a time), and those that
  // started before the probe and the sliding window replay in batches.
  const windowed = patched('backlog-drain-window');
  const sliding = patched('backlog-probe-sliding-window');
  let healthy = false;

  /** The head alone, probing until the remote answers. */
  async function drainHead([storyId, entry]: [string, QueueEntry]): Promise<DrainOutcome> {
    const newestAtStart = entry.newest;
    const outcome = await drainOne(bindingId, storyId, newestAtStart, 'retry', PROBE_MS);
    if (outcome === 'done') settle(storyId, entry, newestAtStart);
    return outcome;
  }

  /** Oldest first, up to DRAIN_WINDOW in flight; after a failure (or a paused binding) none is started, the rest land. */
  async function drainWindow(): Promise<DrainOutcome> {
    const inFlight = new Map<string, Promise<void>>();
    let stopped: DrainOutcome | null = null;
    for (;;) {
      // When continue-as-new is suggested, what is in flight lands and the caller continues as new.
      if (stopped === null && !workflowInfo().continueAsNewSuggested) {
        for (const [storyId, entry] of byAge()) {
          if (inFlight.size >= DRAIN_WINDOW) break;
          if (inFlight.has(storyId)) continue;
          const newestAtStart = entry.newest;
          inFlight.set(storyId, drainOne(bindingId, storyId, newestAtStart, 'once').then((outcome) => {
            inFlight.delete(storyId);
            if (outcome === 'done') settle(storyId, entry, newestAtStart);
            else if (stopped !== 'wait') stopped = outcome;
          }));
        }
      }
      if (!inFlight.size) return stopped ?? 'done';
      await Promise.race(inFlight.values());
    }
  }

  /** Before the sliding window: the head alone, or a batch of BATCH_WINDOW, all landing before the next. */
  async function drainBatch(): Promise<DrainOutcome> {
    const batch = byAge()
      .slice(0, windowed && healthy ? BATCH_WINDOW : 1)
      .map(([storyId, entry]) => ({ storyId, entry, newestAtStart: entry.newest }));
    const outcomes = await Promise.all(batch.map((b, i) => drainOne(bindingId, b.storyId, b.newestAtStart, i === 0 ? 'retry' : 'once')));
    if (outcomes.includes('wait')) return 'wait';
    batch.forEach(({ storyId, entry, newestAtStart }, i) => {
      if (outcomes[i] === 'done') settle(storyId, entry, newestAtStart);
    });
    return outcomes.every((o) => o === 'done') ? 'done' : 'failed';
  }

  for (;;) {
    const order = byAge();
    if (!order.length) {
      await control.clearBacklogged({ bindingId });
      await condition(allHandlersFinished);
      if (queue.size === 0) return { drained };
      continue;
    }
    const outcome: DrainOutcome = !sliding ? await drainBatch() : healthy ? await drainWindow() : await drainHead(order[0]!);
    if (outcome === 'wait') {
      healthy = false;
      waiting = 'binding paused';
      woken = false;
      await condition(() => woken, '1 minute');
      waiting = null;
      continue;
    }
    healthy = outcome === 'done';
    if (workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof backlog>({ bindingId, drained, queue: [...queue.entries()].map(([s, e]) => [s, e.oldest, e.newest]) });
    }
  }
}

/**
 * `retry`: until the remote answers (the head; with `probeMs`, probing in the activity); `once`: one
 * attempt, 'failed' if it fails (behind the head).
 */
async function drainOne(bindingId: string, storyId: string, eventId: number, mode: 'retry' | 'once', probeMs?: number): Promise<DrainOutcome> {
  try {
    const result = mode === 'retry'
      ? await writeRemote({ bindingId, storyId, eventId, mode: 'drain', ...(probeMs ? { probeMs } : {}) })
      : await writeOnce({ bindingId, storyId, eventId, mode: 'drain' });
    return result.outcome === 'deferred' ? 'wait' : 'done';
  } catch (err) {
    const type = err instanceof ActivityFailure && err.cause instanceof ApplicationFailure ? err.cause.type : undefined;
    if (type === Failure.auth) return 'wait';
    if (type === Failure.notFound) return 'done';
    if (mode === 'once' && err instanceof ActivityFailure) return 'failed';
    throw err;
  }
}
