import { WorkflowNotFoundError } from '@temporalio/client';
import { transitionBinding, type Binding } from '../db/bindings';
import { resumePullSchedule } from '../temporal/schedules';
import { backlogWorkflowId, wakeSignal } from '../workflows/contract';
import type { ApiDeps } from './deps';
import { bounded } from './remote-calls';

/**
 * Resumes a binding: its pull schedule first, the row after (with Temporal down this answers 503 and
 * changes nothing; a repeat completes a half-done one), then wakes its backlog so events queued while
 * it was paused are delivered, in order.
 */
export async function resumeBinding(deps: ApiDeps, bindingId: string): Promise<Binding> {
  await bounded(deps, () => resumePullSchedule(deps.temporal, bindingId));
  const binding = await transitionBinding(deps.db, bindingId, 'active');
  await bounded(deps, () => deps.temporal.workflow.getHandle(backlogWorkflowId(binding.id)).signal(wakeSignal)).catch((err: unknown) => {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  });
  return binding;
}
