import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/common';
import { DRAIN_WINDOW, backlog, type BacklogInput } from '../workflows/backlog';
import { backlogWorkflowId, enqueueSignal } from '../workflows/contract';
import type { Activities } from '../activities';
import { startWorkflowEnv, withMockWorker } from './support/workflow-env';

type PushInput = Parameters<Activities['writeRemote']>[0];
type PushOutcome = Awaited<ReturnType<Activities['writeRemote']>>;
const updated: PushOutcome = { outcome: 'updated', fields: [], comments: 0 };

let env: TestWorkflowEnvironment;
beforeAll(async () => { env = await startWorkflowEnv(); });
afterAll(async () => { await env?.teardown(); });

/** Mocks that record each write's start and end, and clear the binding's backlogged flag. */
function recordingActivities(write: (input: PushInput, attempt: number) => Promise<PushOutcome>) {
  const log: string[] = [];
  const attempts = new Map<string, number[]>();
  let cleared = 0;
  const activities: Partial<Activities> = {
    async writeRemote(input: PushInput) {
      const times = attempts.get(input.storyId) ?? [];
      times.push(Date.now());
      attempts.set(input.storyId, times);
      log.push(`start ${input.storyId}`);
      try {
        return await write(input, times.length);
      } finally {
        log.push(`end ${input.storyId}`);
      }
    },
    async clearBacklogged() { cleared++; },
  };
  return { activities, log, attempts, cleared: () => cleared };
}

async function runBacklog(activities: Partial<Activities>, input: Omit<BacklogInput, 'bindingId'>) {
  return withMockWorker(env, activities, async (taskQueue) => {
    const handle = await env.client.workflow.start(backlog, { taskQueue, workflowId: backlogWorkflowId(taskQueue), args: [{ bindingId: 'b', ...input }] });
    const result = await handle.result();
    const { runId } = await handle.describe();
    return { result, continuedAsNew: runId !== handle.firstExecutionRunId };
  });
}

const starts = (log: string[]) => log.filter((l) => l.startsWith('start ')).map((l) => l.slice(6));

describe('backlog workflow (mocked activities)', () => {
  it('drains oldest first, and drops back to the head alone after a failure behind it', async () => {
    const inputs: PushInput[] = [];
    const rec = recordingActivities(async (input, attempt) => {
      inputs.push(input);
      if (input.storyId === 'c' && attempt === 1) throw new Error('remote failed again');
      return updated;
    });
    // Given out of order: the queue is ordered by each story's oldest event.
    const ids = 'abcdefghijkl'.split('');
    const queue = ids.map((s, i): [string, number, number] => [s, i + 1, i + 1]).reverse();
    const { result } = await runBacklog(rec.activities, { queue });
    expect(result).toEqual({ drained: ids.length });
    const order = starts(rec.log);
    // The head alone, then a window behind it, then (after c failed) c alone, then the rest.
    expect(order[0]).toBe('a');
    expect(rec.log.indexOf('end a')).toBeLessThan(rec.log.indexOf('start b'));
    expect(new Set(order.slice(1, 1 + DRAIN_WINDOW))).toEqual(new Set(ids.slice(1, 1 + DRAIN_WINDOW)));
    // After c failed nothing more is started; what was in flight lands, then c is retried alone.
    const retryOfC = rec.log.lastIndexOf('start c');
    expect(rec.log.slice(retryOfC, retryOfC + 2)).toEqual(['start c', 'end c']);
    expect(rec.log.slice(0, retryOfC).filter((l) => l.startsWith('start ')).length).toBe(rec.log.slice(0, retryOfC).filter((l) => l.startsWith('end ')).length);
    expect(new Set(order)).toEqual(new Set(ids));
    expect(order).toHaveLength(ids.length + 1);
    // The head probes (activities/push.ts); the stories behind it get one plain attempt each. (A run
    // continued as new starts again from its head alone: this test server suggests it early.)
    expect(inputs.filter((i) => i.probeMs).map((i) => i.storyId).slice(0, 2)).toEqual(['a', 'c']);
    expect(inputs.filter((i) => !i.probeMs).map((i) => i.storyId)).not.toContain('a');
    expect(rec.cleared()).toBe(1);
  });

  it('keeps the window full: a slow story holds back none behind it, and no more than the window is in flight', async () => {
    let inFlight = 0;
    let most = 0;
    const rec = recordingActivities(async ({ storyId }) => {
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setTimeout(r, storyId === 's01' ? 3_000 : 50));
      inFlight--;
      return updated;
    });
    const queue = Array.from({ length: 2 * DRAIN_WINDOW }, (_, i): [string, number, number] => [`s${String(i).padStart(2, '0')}`, i + 1, i + 1]);
    const { result } = await runBacklog(rec.activities, { queue });
    expect(result).toEqual({ drained: queue.length });
    expect(most).toBe(DRAIN_WINDOW);
    // The story after the first window started while s01 was still being written (in batches it waited
    // for it). This test server suggests continue-as-new early, which stops the filling, so not every
    // later one does.
    const next = `s${String(DRAIN_WINDOW + 1).padStart(2, '0')}`;
    expect(rec.log.indexOf(`start ${next}`)).toBeGreaterThan(-1);
    expect(rec.log.indexOf(`start ${next}`)).toBeLessThan(rec.log.indexOf('end s01'));
  });

  it('retries the head with backoff capped at 1 s, attempting nothing behind it meanwhile', async () => {
    const rec = recordingActivities(async ({ storyId }, attempt) => {
      if (storyId === 'a' && attempt <= 4) throw ApplicationFailure.create({ type: 'TransientError', message: 'remote 503' });
      return updated;
    });
    const { result } = await runBacklog(rec.activities, { queue: [['a', 1, 1], ['b', 2, 2]] });
    expect(result).toEqual({ drained: 2 });
    expect(starts(rec.log)).toEqual(['a', 'a', 'a', 'a', 'a', 'b']);
    const [t1, t2, t3, t4, t5] = rec.attempts.get('a') as [number, number, number, number, number];
    // 500 ms, then 1 s, then still 1 s (maximumInterval): the head is the probe for a recovery. The dev
    // server fires retry timers on a ~1 s tick; uncapped, the fourth wait would be 4 s.
    expect(t2 - t1).toBeGreaterThanOrEqual(450);
    expect(t3 - t2).toBeGreaterThanOrEqual(900);
    expect(t5 - t4).toBeGreaterThanOrEqual(900);
    expect(t5 - t4).toBeLessThan(2_500);
  });

  it('goes on draining past dead letters and stories gone from the remote', async () => {
    const rec = recordingActivities(async ({ storyId }) => {
      if (storyId === 'a') return { outcome: 'dead-letter', error: 'rejected by the remote' };
      if (storyId === 'b') throw ApplicationFailure.create({ type: 'NotFound', message: 'gone', nonRetryable: true });
      return updated;
    });
    const { result } = await runBacklog(rec.activities, { queue: [['a', 1, 1], ['b', 2, 2], ['c', 3, 3]] });
    expect(result).toEqual({ drained: 3 });
    // After the head, the window writes the rest together.
    const order = starts(rec.log);
    expect(order).toHaveLength(3);
    expect(order[0]).toBe('a');
    expect(new Set(order.slice(1))).toEqual(new Set(['b', 'c']));
  });

  it('writes a story enqueued while it drains, with its latest event', async () => {
    const rec = recordingActivities(async () => updated);
    const written: number[] = [];
    const activities: Partial<Activities> = {
      ...rec.activities,
      async writeRemote(input: PushInput) { written.push(input.eventId); return rec.activities.writeRemote!(input); },
    };
    await withMockWorker(env, activities, async (taskQueue) => {
      const handle = await env.client.workflow.signalWithStart(backlog, {
        taskQueue, workflowId: backlogWorkflowId(taskQueue), args: [{ bindingId: 'b' }], signal: enqueueSignal, signalArgs: [{ storyId: 'a', eventId: 7 }],
      });
      expect(await handle.result()).toEqual({ drained: 1 });
    });
    expect(written).toEqual([7]);
  });

  it('continues as new when the server suggests it, carrying the queue and the drained count', async () => {
    const rec = recordingActivities(async () => updated);
    const queue: [string, number, number][] = Array.from({ length: 16 }, (_, i) => [`s${String(i).padStart(2, '0')}`, i + 1, i + 1]);
    const { result, continuedAsNew } = await runBacklog(rec.activities, { queue });
    expect(continuedAsNew).toBe(true);
    expect(result).toEqual({ drained: 16 });
    // Every story once, in order of age across runs.
    const order = starts(rec.log);
    expect(order).toHaveLength(16);
    expect(new Set(order)).toEqual(new Set(queue.map(([s]) => s)));
    expect(order[0]).toBe('s00');
    // A new run starts again from the head alone, so windows shift; no story is more than a window off its age.
    order.forEach((storyId, i) => expect(Math.abs(Number(storyId.slice(1)) - i)).toBeLessThan(DRAIN_WINDOW));
  });
});
