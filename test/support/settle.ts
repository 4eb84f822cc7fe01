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
      select count(*) filter (where relayed_at is null)::int as unrelayed,
             max(id) filter (where origin <> ${bindingId})::int as latest
      from outbox_events where story_id = ${storyId}`);
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
