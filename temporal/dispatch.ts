import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { SignalDefinition } from '@temporalio/workflow';
import { backlog, hookFiring, pushStory, sinkDelivery } from '../workflows';
import type { HookFiringInput } from '../workflows/hookFiring';
import {
  backlogWorkflowId, bindingSearchAttributes, enqueueSignal, hookWorkflowId, pushWorkflowId, sinkWorkflowId, storyEventSignal, wakeSignal, type StoryEvent,
} from '../workflows/contract';

export interface DispatchBinding { id: string; projectId: string; connector: string }

// Ids are built in workflows/contract.ts; re-exported for callers that only dispatch.

/** Hands a story event to its push workflow, starting it when none runs (signal-with-start). */
export async function signalPush(
  client: Client, taskQueue: string, binding: DispatchBinding, storyId: string, eventId: number,
  signal: SignalDefinition<[StoryEvent]> = storyEventSignal,
): Promise<void> {
  await client.workflow.signalWithStart(pushStory, {
    workflowId: pushWorkflowId(binding.id, storyId),
    taskQueue,
    args: [{ bindingId: binding.id, storyId }],
    signal,
    signalArgs: [{ eventId }],
    typedSearchAttributes: bindingSearchAttributes(binding),
  });
}

/** Queues a story event on the binding's ordered backlog. */
export async function signalBacklog(client: Client, taskQueue: string, binding: DispatchBinding, storyId: string, eventId: number): Promise<void> {
  await client.workflow.signalWithStart(backlog, {
    workflowId: backlogWorkflowId(binding.id),
    taskQueue,
    args: [{ bindingId: binding.id }],
    signal: enqueueSignal,
    signalArgs: [{ storyId, eventId }],
    typedSearchAttributes: bindingSearchAttributes(binding),
  });
}

/**
 * Starts a hook point's firing workflow. Its id is the firing's, so starting it twice (a relay that
 * died before deleting the firing) runs it once.
 */
export async function startHookFiring(client: Client, taskQueue: string, input: HookFiringInput): Promise<void> {
  try {
    await client.workflow.start(hookFiring, { workflowId: hookWorkflowId(input.firingId), taskQueue, args: [input] });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}

/** Wakes a sink's delivery loop, starting it when none runs. */
export async function wakeSink(client: Client, taskQueue: string, sinkId: string): Promise<void> {
  await client.workflow.signalWithStart(sinkDelivery, { workflowId: sinkWorkflowId(sinkId), taskQueue, args: [{ sinkId }], signal: wakeSignal });
}
