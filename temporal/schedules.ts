import {
  ScheduleNotFoundError, WorkflowExecutionAlreadyStartedError, WorkflowIdConflictPolicy, WorkflowNotFoundError, type Client,
} from '@temporalio/client';
import { pollBinding } from '../workflows';
import {
  bindingSearchAttributes, legacyPullScheduleId, pauseSignal, pollerStateQuery, pollerWorkflowId, pullNowUpdate, resumeSignal,
  type PullStarted,
} from '../workflows/contract';

/**
 * Each binding's pulls are timed by its own long-lived `pollBinding` workflow (see workflows/pollBinding.ts
 * for why it is not a Temporal Schedule: cost). These functions are the only way in.
 */
export interface ScheduledBinding {
  id: string;
  projectId: string;
  connector: string;
  pullIntervalSeconds: number;
  paused: boolean;
}

/** Starts the binding's pull timer; starting one that runs already changes nothing. */
export async function createPullSchedule(client: Client, taskQueue: string, binding: ScheduledBinding): Promise<void> {
  try {
    await client.workflow.start(pollBinding, {
      workflowId: pollerWorkflowId(binding.id),
      taskQueue,
      args: [{ bindingId: binding.id, projectId: binding.projectId, connector: binding.connector, intervalSeconds: binding.pullIntervalSeconds, paused: binding.paused }],
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      typedSearchAttributes: bindingSearchAttributes(binding),
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}

async function ignoreMissing<T>(fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}

const poller = (client: Client, bindingId: string) => client.workflow.getHandle(pollerWorkflowId(bindingId));

export const pausePullSchedule = async (client: Client, bindingId: string, _note: string) =>
  void (await ignoreMissing(() => poller(client, bindingId).signal(pauseSignal)));

export const resumePullSchedule = async (client: Client, bindingId: string) =>
  void (await ignoreMissing(() => poller(client, bindingId).signal(resumeSignal)));

/** Ends the binding's pull timer (a pull it runs is cancelled with it). */
export const deletePullSchedule = async (client: Client, bindingId: string) =>
  void (await ignoreMissing(() => poller(client, bindingId).terminate('binding deleted')));

/**
 * "Pull now": runs right away when idle, or right after the running pull, and never alongside it.
 * Returns the started pull's workflow id, or `queued` when a pull was already running.
 */
export async function triggerPull(client: Client, bindingId: string): Promise<PullStarted> {
  return (await ignoreMissing(() => poller(client, bindingId).executeUpdate(pullNowUpdate))) ?? { workflowId: null, queued: true };
}

/** When the binding pulls next; null while it is paused (or has no timer). */
export async function nextPullTime(client: Client, bindingId: string): Promise<Date | null> {
  const state = await ignoreMissing(() => poller(client, bindingId).query(pollerStateQuery));
  return state?.nextPullAt ? new Date(state.nextPullAt) : null;
}

/** Whether the binding's pull timer is running a pull now. */
export async function pullRunning(client: Client, bindingId: string): Promise<boolean> {
  return (await ignoreMissing(() => poller(client, bindingId).query(pollerStateQuery)))?.busy ?? false;
}

/**
 * Moves bindings from the Temporal Schedules of earlier versions to pull timers: for each schedule
 * `pull/<binding>` still there, starts the binding's timer (paused as the binding is) and deletes the
 * schedule. Idempotent; a worker runs it at boot. Returns how many it moved.
 */
export async function migratePullSchedules(client: Client, taskQueue: string, lookup: (bindingId: string) => Promise<ScheduledBinding | null>): Promise<number> {
  let moved = 0;
  for await (const schedule of client.schedule.list()) {
    const bindingId = /^pull\/([0-9a-f-]{36})$/.exec(schedule.scheduleId)?.[1];
    if (!bindingId) continue;
    const binding = await lookup(bindingId);
    if (binding) await createPullSchedule(client, taskQueue, binding);
    try {
      await client.schedule.getHandle(legacyPullScheduleId(bindingId)).delete();
      moved++;
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
    }
  }
  return moved;
}
