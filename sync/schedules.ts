import { ScheduleNotFoundError, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { pullBinding } from '../workflows';
import { pullScheduleId } from '../workflows/contract';
import { BindingIdKey, ConnectorKey, ProjectIdKey } from '../workflows/contract';

// The id is built in workflows/contract.ts; re-exported for callers that only manage schedules.

export interface ScheduledBinding {
  id: string;
  projectId: string;
  connector: string;
  pullIntervalSeconds: number;
  paused: boolean;
}

/** One schedule per binding; overlap SKIP so a slow pull is never doubled. */
export async function createPullSchedule(client: Client, taskQueue: string, binding: ScheduledBinding): Promise<void> {
  const searchAttributes = [
    { key: BindingIdKey, value: binding.id },
    { key: ProjectIdKey, value: binding.projectId },
    { key: ConnectorKey, value: binding.connector },
  ];
  await client.schedule.create({
    scheduleId: pullScheduleId(binding.id),
    spec: { intervals: [{ every: `${binding.pullIntervalSeconds}s` }] },
    action: {
      type: 'startWorkflow',
      workflowType: pullBinding,
      workflowId: pullScheduleId(binding.id),
      taskQueue,
      args: [{ bindingId: binding.id }],
      typedSearchAttributes: searchAttributes,
    },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' },
    state: { paused: binding.paused, note: binding.paused ? 'binding paused' : 'binding active' },
    typedSearchAttributes: searchAttributes,
  });
}

async function ignoreMissing(fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
  }
}

export const pausePullSchedule = (client: Client, bindingId: string, note: string) =>
  ignoreMissing(() => client.schedule.getHandle(pullScheduleId(bindingId)).pause(note));

export const resumePullSchedule = (client: Client, bindingId: string) =>
  ignoreMissing(() => client.schedule.getHandle(pullScheduleId(bindingId)).unpause('binding resumed'));

export const deletePullSchedule = (client: Client, bindingId: string) =>
  ignoreMissing(() => client.schedule.getHandle(pullScheduleId(bindingId)).delete());

/**
 * "Pull now" goes through the schedule itself with BUFFER_ONE: it runs right away when idle, or right
 * after the running pull, and never alongside it. Returns the started workflow id when it started
 * at once, or `queued` when a pull was already running.
 */
export async function triggerPull(client: Client, bindingId: string): Promise<{ workflowId: string | null; queued: boolean }> {
  const handle = client.schedule.getHandle(pullScheduleId(bindingId));
  const { info } = await handle.describe();
  // Compare run ids: scheduled workflow ids have one-second resolution, so two triggers can share one.
  const before = new Set(info.recentActions.map((a) => a.action.workflow.firstExecutionRunId));
  const busy = info.runningActions.length > 0;
  await handle.trigger(ScheduleOverlapPolicy.BUFFER_ONE);
  if (busy) return { workflowId: null, queued: true };
  for (let i = 0; i < 20; i++) {
    const now = (await handle.describe()).info;
    const started = [...now.runningActions, ...now.recentActions.map((a) => a.action)].find((a) => !before.has(a.workflow.firstExecutionRunId));
    if (started) return { workflowId: started.workflow.workflowId, queued: false };
    await new Promise((r) => setTimeout(r, 100));
  }
  return { workflowId: null, queued: true };
}

export async function nextPullTime(client: Client, bindingId: string): Promise<Date | null> {
  try {
    const d = await client.schedule.getHandle(pullScheduleId(bindingId)).describe();
    return d.state.paused ? null : (d.info.nextActionTimes[0] ?? null);
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return null;
    throw err;
  }
}
