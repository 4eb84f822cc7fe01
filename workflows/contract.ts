import { defineSearchAttributeKey } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { SyncProgress } from './sync-state';

export { Failure } from './failures';

// What clients (the API, the outbox relay, activities) may say to a workflow, and under which id.
// The workflow functions themselves are the references (`client.workflow.start(initialSync, …)`,
// from './index'); this file holds their messages and ids, so nothing outside workflows/ names one.
// It imports no activity code: the API and the relay load it, and so does the workflow bundle.

/** Sync workflows (initialSync, pullBinding) answer this while they run. */
export const progressQuery = defineQuery<SyncProgress>('progress');

export interface StoryEvent { eventId: number }
/** A story's new hub event for its push workflow; a re-sent or older event is ignored. */
export const storyEventSignal = defineSignal<[StoryEvent]>('event');
/** Re-pushes the latest state even without a new event (an operator retrying a dead letter). */
export const retrySignal = defineSignal<[StoryEvent]>('retry');
export interface PushStatus { pendingEventId: number | null; highestSeen: number; writes: number }
export const pushStatusQuery = defineQuery<PushStatus>('status');

export interface BacklogEntry { storyId: string; eventId: number }
/** What `backlogQuery` answers; the API shows it as the binding's backlog status. */
export interface BacklogState { size: number; oldestEventId: number | null; drained: number; waiting: string | null }
export const enqueueSignal = defineSignal<[BacklogEntry]>('enqueue');
/** The binding was resumed: a paused backlog tries its head again at once. */
export const wakeSignal = defineSignal('wake');
export const backlogQuery = defineQuery<BacklogState>('backlog');

/** The binding's pull timer (pollBinding): pause and resume it, pull now, and read when it pulls next. */
export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');
export interface PullStarted { workflowId: string | null; queued: boolean }
/** Starts a pull at once (its `pullBinding` id comes back), or queues one behind the running pull. */
export const pullNowUpdate = defineUpdate<PullStarted>('pullNow');
export interface PollerState { paused: boolean; busy: boolean; nextPullAt: string | null }
export const pollerStateQuery = defineQuery<PollerState>('poller');

/** A webhook (or poke) said the item changed: its pullItem workflow fetches it (again, if it is already fetching). */
export const itemChangedSignal = defineSignal('itemChanged');

/** One initial sync per binding at a time: a second start fails as already started. */
export const initialSyncWorkflowId = (bindingId: string) => `initial-sync/${bindingId}`;
/** The binding's pull timer; the pulls it starts are `pull/<binding>-<time>`. */
export const pollerWorkflowId = (bindingId: string) => `poll/${bindingId}`;
/** The Temporal Schedule that started pulls before the pull timer (removed when a worker boots). */
export const legacyPullScheduleId = (bindingId: string) => `pull/${bindingId}`;
export const pushWorkflowId = (bindingId: string, storyId: string) => `push/${bindingId}/${storyId}`;
export const backlogWorkflowId = (bindingId: string) => `backlog/${bindingId}`;
/** One per remote item of a binding while a webhook's fetch runs: deliveries for the same item coalesce into it. */
export const pullItemWorkflowId = (bindingId: string, remoteId: string) => `pull-item/${bindingId}/${remoteId}`;
/** Short workflows run once per request; the nonce (random, from the caller) keeps their ids apart. */
export const connectionTestWorkflowId = (connectionId: string, nonce: string) => `connection-test/${connectionId}/${nonce}`;
export const scopeListingWorkflowId = (connectionId: string, nonce: string) => `scopes/${connectionId}/${nonce}`;
export const metadataWorkflowId = (connectionId: string, nonce: string) => `metadata/${connectionId}/${nonce}`;
/** A plugin action's job; the job id is made by the API before the start, so the row and the workflow share it. */
export const actionWorkflowId = (jobId: string) => `action/${jobId}`;
/** One firing of a plugin hook point (see workflows/hookFiring.ts). */
export const hookWorkflowId = (firingId: number) => `hook/${firingId}`;
/** A sink's delivery loop (see workflows/sinkDelivery.ts). */
export const sinkWorkflowId = (sinkId: string) => `sink/${sinkId}`;

/** Search attributes the Temporal UI filters by (registered on the dev server at start). */
export const BindingIdKey = defineSearchAttributeKey('BindingId', 'KEYWORD');
export const ProjectIdKey = defineSearchAttributeKey('ProjectId', 'KEYWORD');
export const ConnectorKey = defineSearchAttributeKey('Connector', 'KEYWORD');
export const searchAttributeKeys = [BindingIdKey, ProjectIdKey, ConnectorKey];

/** The search attributes of every workflow that works for one binding (the Temporal UI filters by them). */
export const bindingSearchAttributes = (binding: { id: string; projectId: string; connector: string }) => [
  { key: BindingIdKey, value: binding.id }, { key: ProjectIdKey, value: binding.projectId }, { key: ConnectorKey, value: binding.connector },
];
