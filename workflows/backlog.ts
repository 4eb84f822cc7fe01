import {
  ActivityFailure, ApplicationFailure, allHandlersFinished, condition, continueAsNew, defineQuery, defineSignal,
  proxyActivities, setHandler, workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';

// The backlog retries its head for as long as the remote stays down, backing off to 15 s, so it
// notices a recovery quickly; nothing behind the head is attempted meanwhile (Bugzilla push order).
const { writeRemote } = proxyActivities<Activities>({
  // The activity heartbeats on a timer: a dead worker is noticed in 15 s, a slow remote is not cut short.
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '15 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '15 seconds', nonRetryableErrorTypes: ['AuthError', 'PermanentError', 'NotFound'] },
});
const control = proxyActivities<Activities>({ startToCloseTimeout: '30 seconds', retry: { initialInterval: '1 second', maximumInterval: '30 seconds' } });

export interface BacklogEntry { storyId: string; eventId: number }
export interface BacklogInput {
  bindingId: string;
  /** Carried across continue-as-new: [storyId, oldest event id, newest event id]. */
  queue?: [string, number, number][];
  drained?: number;
}

export const enqueueSignal = defineSignal<[BacklogEntry]>('enqueue');
export const wakeSignal = defineSignal('wake');
export const backlogQuery = defineQuery<{ size: number; oldestEventId: number | null; drained: number; waiting: string | null }>('backlog');

/**
 * One per binding: `backlog/<binding>`. Holds the stories whose events could not be delivered, in
 * order of their oldest event, and delivers them oldest first once the remote answers again. A
 * permanent failure becomes a dead letter (recorded by the activity) and the drain goes on.
 */
export async function backlog(input: BacklogInput): Promise<{ drained: number }> {
  const { bindingId } = input;
  const queue = new Map<string, { oldest: number; newest: number }>((input.queue ?? []).map(([s, o, n]) => [s, { oldest: o, newest: n }]));
  let drained = input.drained ?? 0;
  let woken = false;
  let waiting: string | null = null;

  setHandler(enqueueSignal, ({ storyId, eventId }) => {
    const entry = queue.get(storyId);
    if (!entry) queue.set(storyId, { oldest: eventId, newest: eventId });
    else entry.newest = Math.max(entry.newest, eventId);
    woken = true;
  });
  setHandler(wakeSignal, () => void (woken = true));
  setHandler(backlogQuery, () => ({ size: queue.size, oldestEventId: head()?.[1].oldest ?? null, drained, waiting }));

  const head = () => [...queue.entries()].sort((a, b) => a[1].oldest - b[1].oldest)[0];

  for (;;) {
    const next = head();
    if (!next) {
      await control.clearBacklogged({ bindingId });
      await condition(allHandlersFinished);
      if (queue.size === 0) return { drained };
      continue;
    }
    const [storyId, entry] = next;
    const newestAtStart = entry.newest;
    const outcome = await drainOne(bindingId, storyId, newestAtStart);
    if (outcome === 'wait') {
      waiting = 'binding paused';
      woken = false;
      await condition(() => woken, '1 minute');
      waiting = null;
      continue;
    }
    // An event that arrived during the write is not covered by it: keep the story queued.
    if (entry.newest > newestAtStart) entry.oldest = newestAtStart + 1;
    else queue.delete(storyId);
    drained++;
    if (workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof backlog>({ bindingId, drained, queue: [...queue.entries()].map(([s, e]) => [s, e.oldest, e.newest]) });
    }
  }
}

async function drainOne(bindingId: string, storyId: string, eventId: number): Promise<'done' | 'wait'> {
  try {
    const result = await writeRemote({ bindingId, storyId, eventId, mode: 'drain' });
    return result.outcome === 'deferred' ? 'wait' : 'done';
  } catch (err) {
    const type = err instanceof ActivityFailure && err.cause instanceof ApplicationFailure ? err.cause.type : undefined;
    if (type === 'AuthError') return 'wait';
    if (type === 'NotFound') return 'done';
    throw err;
  }
}
