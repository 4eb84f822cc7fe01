import { sql } from 'drizzle-orm';
import { WorkflowNotFoundError } from '@temporalio/client';
import { queryRows } from '../../db/client';
import { pushStatusQuery, pushWorkflowId } from '../../workflows/contract';
import { eventually } from './harness';
import type { Stack } from './scenario';

/**
 * Waits until every change to the story has been relayed and the binding's push workflow for it has
 * seen the latest event meant for it, holds nothing pending and runs no write: after this, a write that
 * has not happened will not happen. Tests that assert "nothing more was sent" wait here instead of sleeping.
 */
export async function pushSettled(stack: Stack, bindingId: string, storyId: string, timeoutMs = 30_000): Promise<void> {
  await stack.worker.relay?.flush();
  await eventually(async () => {
    const [row] = await queryRows<{ unrelayed: number; latest: number | null }>(stack.database.db, sql`
      select count(p.event_id)::int as unrelayed,
             max(e.id) filter (where e.origin <> ${bindingId})::int as latest
      from outbox_events e left join outbox_pending p on p.event_id = e.id where e.story_id = ${storyId}`);
    if (!row || row.unrelayed > 0) return false;
    const handle = stack.client.workflow.getHandle(pushWorkflowId(bindingId, storyId));
    try {
      const status = await handle.query(pushStatusQuery);
      if (status.pendingEventId !== null || status.highestSeen < (row.latest ?? 0)) return false;
      return !(await handle.describe()).raw.pendingActivities?.length;
    } catch (err) {
      // No push workflow: nothing was ever meant for this binding.
      if (err instanceof WorkflowNotFoundError) return row.latest === null;
      throw err;
    }
  }, timeoutMs, 100);
}

/** pushStory's BURST_WINDOW_MS (workflows/pushStory.ts): events within this long after a write wait for quiet. */
const PUSH_BURST_WINDOW_MS = 1000;

/**
 * Waits until the story's push is settled and its burst window is over, so the next event is written at
 * once, as the first of a new burst. The window runs on the workflow's clock from its last write: the
 * workflow task that took the write's result dates it, in the push's history, on the Temporal server's
 * clock (this machine's). Its completion is taken, a few milliseconds late at most, never early.
 */
export async function pushBurstWindowOver(stack: Stack, bindingId: string, storyId: string): Promise<void> {
  await pushSettled(stack, bindingId, storyId);
  const handle = stack.client.workflow.getHandle(pushWorkflowId(bindingId, storyId));
  const wroteAt = await eventually(async () => {
    const events = (await handle.fetchHistory()).events ?? [];
    const write = events.findLastIndex((e) => e.activityTaskCompletedEventAttributes);
    const taken = events.slice(write + 1).find((e) => e.workflowTaskCompletedEventAttributes)?.eventTime;
    return write >= 0 && taken ? Number(taken.seconds ?? 0) * 1000 + Math.ceil((taken.nanos ?? 0) / 1e6) : undefined;
  }, 30_000, 20);
  await eventually(async () => Date.now() > wroteAt + PUSH_BURST_WINDOW_MS, PUSH_BURST_WINDOW_MS + 10_000, 20);
}
