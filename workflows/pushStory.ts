import { allHandlersFinished, condition, continueAsNew, proxyActivities, setHandler, sleep, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { controlOptions, directWriteOptions } from './activity-options';
import { pushStatusQuery, retrySignal, storyEventSignal } from './contract';
import { routeFailedPush } from './route';

// Its messages are declared in the contract, where clients find them; re-exported to sit beside it.
export { pushStatusQuery, retrySignal, storyEventSignal, type StoryEvent } from './contract';

// A direct push hands the story to the binding's backlog (O2) at the first transient failure of the
// remote (after the connector's own quick retries), so the operator sees it queued from then on rather
// than nothing while direct retries run; other failures (a dead worker, a conflict) retry a few times first.
const { writeRemote } = proxyActivities<Activities>(directWriteOptions);
const control = proxyActivities<Activities>(controlOptions);

/** After a write, further events wait for this much quiet (bounded by MAX_DELAY_MS) so a burst costs one more write. */
const BURST_WINDOW_MS = 1000;
const QUIET_MS = 250;
const MAX_DELAY_MS = 2000;
const IDLE_TIMEOUT = '10 minutes';

export interface PushStoryInput {
  bindingId: string;
  storyId: string;
  /** Carried across continue-as-new. */
  highestSeen?: number;
  pendingEventId?: number | null;
}

/**
 * One per (binding, story): `push/<binding>/<story>`. Serializes the story's writes to that remote and
 * coalesces bursts into the latest state. Events are idempotent by id: a re-sent event is ignored.
 */
export async function pushStory(input: PushStoryInput): Promise<void> {
  const { bindingId, storyId } = input;
  let highestSeen = input.highestSeen ?? 0;
  let pending: number | null = input.pendingEventId ?? null;
  let firstPendingAt = pending === null ? 0 : Date.now();
  let lastEventAt = firstPendingAt;
  let lastWriteAt = 0;
  let writes = 0;

  setHandler(storyEventSignal, ({ eventId }) => {
    // Event ids grow monotonically; the write reads the latest state, so anything at or below
    // the highest id seen is already covered (a relay re-send, or an older event arriving late).
    if (eventId <= highestSeen) return;
    highestSeen = eventId;
    pending = eventId;
    lastEventAt = Date.now();
    if (!firstPendingAt) firstPendingAt = lastEventAt;
  });
  setHandler(retrySignal, ({ eventId }) => {
    highestSeen = Math.max(highestSeen, eventId);
    pending = Math.max(pending ?? 0, eventId);
    lastEventAt = Date.now();
    if (!firstPendingAt) firstPendingAt = lastEventAt;
  });
  setHandler(pushStatusQuery, () => ({ pendingEventId: pending, highestSeen, writes }));

  for (;;) {
    if (!(await condition(() => pending !== null, IDLE_TIMEOUT))) {
      await condition(allHandlersFinished);
      if (pending === null) return;
    }
    if (Date.now() - lastWriteAt < BURST_WINDOW_MS) {
      while (Date.now() - lastEventAt < QUIET_MS && Date.now() - firstPendingAt < MAX_DELAY_MS) {
        await sleep(Math.max(1, Math.min(QUIET_MS - (Date.now() - lastEventAt), MAX_DELAY_MS - (Date.now() - firstPendingAt))));
      }
    }
    const eventId = pending!;
    pending = null;
    firstPendingAt = 0;
    await pushOnce(bindingId, storyId, eventId);
    lastWriteAt = Date.now();
    writes++;
    if (workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof pushStory>({ bindingId, storyId, highestSeen, pendingEventId: pending });
    }
  }
}

async function pushOnce(bindingId: string, storyId: string, eventId: number): Promise<void> {
  try {
    const result = await writeRemote({ bindingId, storyId, eventId, mode: 'direct' });
    if (result.outcome === 'deferred') await control.deferToBacklog({ bindingId, storyId, eventId });
  } catch (err) {
    // Where the event goes now is decided in route.ts, with the relay's and the activity's routing.
    const route = routeFailedPush(err);
    if (route === 'throw') throw err;
    if (route === 'backlog-binding') await control.markBacklogged({ bindingId });
    await control.deferToBacklog({ bindingId, storyId, eventId });
  }
}
