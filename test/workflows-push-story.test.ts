import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/common';
import { pushStory } from '../workflows/pushStory';
import { pushStatusQuery, pushWorkflowId, storyEventSignal } from '../workflows/contract';
import type { Activities } from '../activities';
import { startWorkflowEnv, withMockWorker } from './support/workflow-env';
import { eventually } from './support/harness';

type PushInput = Parameters<Activities['writeRemote']>[0];
type PushOutcome = Awaited<ReturnType<Activities['writeRemote']>>;
const updated: PushOutcome = { outcome: 'updated', fields: [], comments: 0 };

/** A promise with its resolve, to hold a mocked write until the test lets it through. */
function gate(): { promise: Promise<void>; open(): void } {
  let open = () => {};
  const promise = new Promise<void>((resolve) => { open = resolve; });
  return { promise, open };
}

let env: TestWorkflowEnvironment;
beforeAll(async () => { env = await startWorkflowEnv(); });
afterAll(async () => { await env?.teardown(); });

describe('pushStory workflow (mocked activities)', () => {
  it('coalesces a burst after a write into one write of the latest event', async () => {
    const writes: number[] = [];
    const first = gate();
    const activities: Partial<Activities> = {
      async writeRemote(input: PushInput) {
        writes.push(input.eventId);
        if (input.eventId === 1) await first.promise;
        return updated;
      },
    };
    await withMockWorker(env, activities, async (taskQueue) => {
      const handle = await env.client.workflow.start(pushStory, { taskQueue, workflowId: pushWorkflowId('b', `coalesce-${taskQueue}`), args: [{ bindingId: 'b', storyId: 's' }] });
      await handle.signal(storyEventSignal, { eventId: 1 });
      await eventually(async () => writes.length === 1);
      first.open();
      await eventually(async () => (await handle.query(pushStatusQuery)).writes === 1);
      // Each event of the burst lands inside the window after a write: it is held, not written.
      for (const eventId of [2, 3, 4, 5]) {
        await handle.signal(storyEventSignal, { eventId });
        expect(await handle.query(pushStatusQuery)).toEqual({ pendingEventId: eventId, highestSeen: eventId, writes: 1 });
      }
      await handle.signal(storyEventSignal, { eventId: 3 }); // a late re-send is ignored
      await eventually(async () => writes.length === 2);
      expect(writes).toEqual([1, 5]);
      await handle.terminate();
    });
  });

  it('retries a failing write with backoff, then hands the story to the backlog', async () => {
    const attempts: number[] = [];
    const handedOff: string[] = [];
    const activities: Partial<Activities> = {
      async writeRemote() {
        attempts.push(Date.now());
        throw new Error('worker-side failure');
      },
      async markBacklogged({ bindingId }) { handedOff.push(`mark ${bindingId}`); },
      async deferToBacklog({ bindingId, storyId, eventId }) { handedOff.push(`defer ${bindingId}/${storyId}@${eventId}`); },
    };
    await withMockWorker(env, activities, async (taskQueue) => {
      const handle = await env.client.workflow.start(pushStory, { taskQueue, workflowId: pushWorkflowId('b', `backoff-${taskQueue}`), args: [{ bindingId: 'b', storyId: 's' }] });
      await handle.signal(storyEventSignal, { eventId: 7 });
      await eventually(async () => handedOff.length === 2);
      expect(handedOff).toEqual(['mark b', 'defer b/s@7']);
      // Three attempts, 500 ms then 1 s apart (initialInterval 500 ms, coefficient 2); the dev server
      // fires retry timers on a ~1 s tick, so only the lower bounds and the total are checked.
      expect(attempts).toHaveLength(3);
      const [a, b, c] = attempts as [number, number, number];
      expect(b - a).toBeGreaterThanOrEqual(450);
      expect(c - b).toBeGreaterThanOrEqual(900);
      expect(c - a).toBeLessThan(3_500);
      await handle.terminate();
    });
  });

  it('hands a transient remote failure to the backlog at once, without direct retries', async () => {
    let attempts = 0;
    const handedOff: string[] = [];
    const activities: Partial<Activities> = {
      async writeRemote() {
        attempts++;
        throw ApplicationFailure.create({ type: 'TransientError', message: 'remote 503' });
      },
      async markBacklogged() { handedOff.push('mark'); },
      async deferToBacklog({ eventId }) { handedOff.push(`defer ${eventId}`); },
    };
    await withMockWorker(env, activities, async (taskQueue) => {
      const handle = await env.client.workflow.start(pushStory, { taskQueue, workflowId: pushWorkflowId('b', `transient-${taskQueue}`), args: [{ bindingId: 'b', storyId: 's' }] });
      await handle.signal(storyEventSignal, { eventId: 3 });
      await eventually(async () => handedOff.length === 2);
      expect(handedOff).toEqual(['mark', 'defer 3']);
      expect(attempts).toBe(1);
      expect(await handle.query(pushStatusQuery)).toMatchObject({ pendingEventId: null, writes: 1 });
      await handle.terminate();
    });
  });

  it('continues as new when the server suggests it, carrying the highest event seen', async () => {
    const writes: number[] = [];
    const activities: Partial<Activities> = {
      async writeRemote(input: PushInput) { writes.push(input.eventId); return updated; },
    };
    await withMockWorker(env, activities, async (taskQueue) => {
      const handle = await env.client.workflow.start(pushStory, { taskQueue, workflowId: pushWorkflowId('b', `can-${taskQueue}`), args: [{ bindingId: 'b', storyId: 's' }] });
      let eventId = 0;
      while ((await handle.describe()).runId === handle.firstExecutionRunId) {
        expect(eventId).toBeLessThan(40);
        await handle.signal(storyEventSignal, { eventId: ++eventId });
        await eventually(async () => writes.includes(eventId) || (await handle.describe()).runId !== handle.firstExecutionRunId);
      }
      // The last event may have been carried into the new run and written there: wait for its write.
      await eventually(async () => writes.includes(eventId));
      // The new run knows what was seen: a re-sent old event is not written again.
      await handle.signal(storyEventSignal, { eventId: 1 });
      const status = await handle.query(pushStatusQuery);
      expect(status).toMatchObject({ pendingEventId: null, highestSeen: eventId });
      await handle.signal(storyEventSignal, { eventId: eventId + 1 });
      await eventually(async () => writes.includes(eventId + 1));
      expect(writes.filter((w) => w === 1)).toHaveLength(1);
      await handle.terminate();
    });
  });

  it('writes the pending event carried into a new run first', async () => {
    const writes: number[] = [];
    const activities: Partial<Activities> = {
      async writeRemote(input: PushInput) { writes.push(input.eventId); return updated; },
    };
    await withMockWorker(env, activities, async (taskQueue) => {
      const handle = await env.client.workflow.start(pushStory, { taskQueue, workflowId: pushWorkflowId('b', `carried-${taskQueue}`), args: [{ bindingId: 'b', storyId: 's', highestSeen: 12, pendingEventId: 12 }] });
      await eventually(async () => writes.length === 1);
      await handle.signal(storyEventSignal, { eventId: 11 });
      expect(await handle.query(pushStatusQuery)).toEqual({ pendingEventId: null, highestSeen: 12, writes: 1 });
      expect(writes).toEqual([12]);
      await handle.terminate();
    });
  });
});
