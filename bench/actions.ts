import type { Client } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time';
import protos, { type temporal as proto } from '@temporalio/proto';

/**
 * Billable Temporal Cloud actions, counted from real workflow histories. The rules are Temporal's
 * published ones: "Temporal Cloud Actions", https://docs.temporal.io/cloud/actions (the same page as
 * /evaluate/cloud/actions; read at temporalio/documentation docs/evaluate/cloud/actions.mdx, commit
 * 24afc58a). That page says the history gives an *estimate*: a few actions never reach a history,
 * and `OUTSIDE_HISTORY` says how the bench accounts for each of them.
 */

// The package is CommonJS: its namespace comes through the default import.
const { temporal } = protos;
type HistoryEvent = proto.api.history.v1.IHistoryEvent;
const EventType = temporal.api.enums.v1.EventType;

/** What one run's history tells a rule besides the event itself. */
interface RunFacts {
  /** Started by a Temporal Schedule: the start event carries the TemporalScheduledById search attribute. */
  scheduled: boolean;
  /** Started by signal-with-start: the signal is written before the first workflow task (event 2). */
  signalWithStart: boolean;
  /** Workflow tasks that recorded at least one marker, already billed (all markers of a task bill once). */
  markerTasks: Set<string>;
}

interface Billing {
  /** The usage name on the Cloud page (its metric name), which `byType` reports. */
  action: string;
  bill(event: HistoryEvent, run: RunFacts): number;
  why: string;
}

const once = (action: string, why: string): Billing => ({ action, bill: () => 1, why });

/**
 * Every history event type the bench bills, and why. Event types absent here bill nothing (workflow
 * task, activity completion, timer fired, closes…): the page bills commands and requests, not their outcomes.
 */
export const BILLED_EVENTS: Partial<Record<keyof typeof EventType, Billing>> = {
  EVENT_TYPE_WORKFLOW_EXECUTION_STARTED: {
    action: 'start_workflow',
    // Section "Workflow": client start, Continue-As-New and child start each bill once. Section "Schedule":
    // "Each execution of a Schedule accrues three Actions": Schedule Start (two) plus the workflow start (one).
    // A continued run was billed on its predecessor's CONTINUED_AS_NEW event (the UI shows it here; one of
    // the two, never both); a child's start was billed with the parent's START_CHILD…_INITIATED (two actions);
    // signal-with-start is "one total action … regardless of whether the Workflow starts" (section "Signal").
    bill(e, run) {
      const a = e.workflowExecutionStartedEventAttributes;
      if (a?.initiator === temporal.api.enums.v1.ContinueAsNewInitiator.CONTINUE_AS_NEW_INITIATOR_WORKFLOW) return 0;
      if (a?.parentWorkflowExecution) return 0;
      if (run.signalWithStart) return 0;
      return run.scheduled ? 3 : 1;
    },
    why: 'Workflow started: 1 (client start, retry or cron run); 3 when a Schedule started it (Schedule Start 2 + Start Workflow 1); 0 for a continued run (billed on CONTINUED_AS_NEW), a child (billed on the parent) or a signal-with-start (billed on its signal)',
  },
  EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW: once('continue_as_new_workflow', 'Continue-As-New starts a new run: 1 ("Continue As New Workflow")'),
  EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED: {
    action: 'start_child_workflow', bill: () => 2,
    why: '"Results in two Actions, one for durably storing the intent to start a Child Workflow and one for the attempt to start it"',
  },
  EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES: {
    action: 'upsert_workflow_search_attributes',
    // One per command however many attributes it sets; TemporalChangeVersion (versioning) is exempt.
    bill(e) {
      const fields = Object.keys(e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {});
      return fields.length > 0 && fields.every((f) => f === 'TemporalChangeVersion') ? 0 : 1;
    },
    why: 'each UpsertSearchAttributes command: 1, however many attributes; 0 when it sets only TemporalChangeVersion (exempt)',
  },
  EVENT_TYPE_WORKFLOW_EXECUTION_OPTIONS_UPDATED: once('update_workflow_options', 'Workflow Execution Options updated: 1 per event'),
  EVENT_TYPE_WORKFLOW_TASK_FAILED: {
    action: 'reset_workflow',
    bill: (e) => (e.workflowTaskFailedEventAttributes?.cause === temporal.api.enums.v1.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW ? 1 : 0),
    why: 'a reset: 1 (the failed task whose cause is RESET_WORKFLOW); any other failed task: 0',
  },
  EVENT_TYPE_ACTIVITY_TASK_SCHEDULED: once('schedule_activity', 'Activity started: 1 per scheduled activity (its first attempt)'),
  EVENT_TYPE_ACTIVITY_TASK_STARTED: {
    action: 'retry_activity',
    // Intermediate attempts write no event: the last attempt number is on the STARTED event, minus the first.
    bill: (e) => Math.max(0, (e.activityTaskStartedEventAttributes?.attempt ?? 1) - 1),
    why: 'Activity retried: attempt − 1 (the only STARTED event written carries the last attempt number)',
  },
  EVENT_TYPE_MARKER_RECORDED: {
    action: 'record_activity_markers',
    bill(e, run) {
      const task = String(e.markerRecordedEventAttributes?.workflowTaskCompletedEventId ?? e.eventId);
      if (run.markerTasks.has(task)) return 0;
      run.markerTasks.add(task);
      return 1;
    },
    why: 'markers (local activities, side effects, patch/version markers): "all RecordMarkers from each Workflow Task as one action"',
  },
  EVENT_TYPE_WORKFLOW_TASK_COMPLETED: {
    action: 'retry_activity_local',
    bill: (e) => Number(e.workflowTaskCompletedEventAttributes?.meteringMetadata?.nonfirstLocalActivityExecutionAttempts ?? 0),
    why: 'local activity retries: meteringMetadata.nonfirstLocalActivityExecutionAttempts of each completed workflow task',
  },
  EVENT_TYPE_TIMER_STARTED: once('start_timer', 'Timer started: 1, implicit timers included (a `condition` with a timeout, `sleep`)'),
  EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED: {
    action: 'signal_workflow',
    bill: () => 1,
    why: 'Signal received: 1, from a client, another workflow (billed here, where the UI shows it) or a signal-with-start (its one action)',
  },
  // The signaler's side of an external signal is billed on the signaled history (above), as the UI does.
  EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED: {
    action: 'signal_external_workflow', bill: () => 0,
    why: '0 here: the one action of a signal between workflows is billed on the signaled history\'s SIGNALED event',
  },
  EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED: once('accept_workflow_update', 'Update accepted: 1 (a rejected update is billed too but never written to history)'),
  EVENT_TYPE_NEXUS_OPERATION_SCHEDULED: once('schedule_nexus_operation', 'Nexus operation scheduled: 1 on the caller'),
  EVENT_TYPE_NEXUS_OPERATION_CANCEL_REQUESTED: once('request_nexus_operation_cancellation', 'Nexus operation cancel requested: 1 on the caller'),
};

/**
 * Billable actions that no history shows, by the page's usage name, with the dev server's `action`
 * metric type that counts them (see serverActions): the bench adds those from the metric.
 */
export const OUTSIDE_HISTORY: Record<string, { serverType: string | null; why: string }> = {
  record_activity_heartbeat: {
    serverType: 'grpc_RecordActivityTaskHeartbeat',
    why: 'each heartbeat that reaches the server: the SDK sends the first at once and throttles the rest to 80% of the heartbeat timeout',
  },
  record_activity_heartbeat_by_id: { serverType: 'grpc_RecordActivityTaskHeartbeatById', why: 'the same, by activity id' },
  query_workflow: { serverType: 'grpc_QueryWorkflow', why: 'each query but __temporal_workflow_metadata (the API asks the poller or a sync for progress)' },
  create_schedule: { serverType: 'grpc_CreateSchedule', why: 'one per schedule created' },
  update_schedule: { serverType: 'grpc_UpdateSchedule', why: 'one per schedule update' },
  // A manual "pull now" on a Schedule is a PatchSchedule (trigger), then a schedule execution (3) like a timed one; pause/unpause are patches too.
  patch_schedule: { serverType: 'grpc_PatchSchedule', why: 'trigger, pause, unpause: one each' },
  delete_schedule: { serverType: 'grpc_DeleteSchedule', why: 'one per schedule deleted' },
  reject_workflow_update: { serverType: 'message_UpdateWorkflowExecution:Rejection', why: 'a rejected update is billed but never written to history' },
  record_workflow_heartbeat: { serverType: null, why: 'workflow task heartbeats of long local activities: trackbridge runs no local activity, so none' },
};

/** The actions of OUTSIDE_HISTORY in a server metric delta (see serverActions and actionDelta). */
export function outsideHistory(delta: Record<string, number>): { actions: number; byType: Record<string, number> } {
  const byType: Record<string, number> = {};
  for (const [action, { serverType }] of Object.entries(OUTSIDE_HISTORY)) {
    const n = serverType ? (delta[serverType] ?? 0) : 0;
    if (n) byType[action] = n;
  }
  return { actions: Object.values(byType).reduce((x, y) => x + y, 0), byType };
}

export interface ExecutionRef {
  workflowId: string;
  runId?: string | undefined;
}

export interface RunActions {
  workflowId: string;
  runId: string;
  workflowType: string;
  /** Started by a Schedule (so billed its execution). */
  scheduled: boolean;
  /** A continued run of a chain (continue-as-new), not a start of its own. */
  continued: boolean;
  startedAt: number;
  /** Null while the run is open. */
  closedAt: number | null;
  /** Actions and events inside the window (the whole run when there is none). */
  actions: number;
  events: number;
  historyBytes: number;
  /** The whole run's history as fetched, window or not: what the server stores for it. */
  runEvents: number;
  runBytes: number;
  /** The run's actions inside the window, by usage name. */
  byType: Record<string, number>;
  /** The decoded result, when the run completed. */
  result?: unknown;
}

export interface ActionCount {
  actions: number;
  /** By the Cloud page's usage name (start_workflow, schedule_activity, retry_activity…). */
  byType: Record<string, number>;
  /** Events and encoded history bytes inside the window. */
  events: number;
  historyBytes: number;
  runs: RunActions[];
}

/** The bytes an event adds to an encoded History: its field tag, its length and its body. */
function encodedSize(event: HistoryEvent): number {
  const body = temporal.api.history.v1.HistoryEvent.encode(event).finish().length;
  let varint = 1;
  for (let n = body; n >= 0x80; n >>>= 7) varint++;
  return 1 + varint + body;
}

const eventName = (e: HistoryEvent) => EventType[e.eventType ?? 0] as keyof typeof EventType;

function runFacts(events: HistoryEvent[]): RunFacts {
  const started = events[0]?.workflowExecutionStartedEventAttributes;
  return {
    scheduled: Boolean(started?.searchAttributes?.indexedFields?.TemporalScheduledById),
    signalWithStart: events[1]?.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED,
    markerTasks: new Set(),
  };
}

const CLOSED = new Set<number>([
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
]);

/** Bills one run's history, counting only the events inside `window` when one is given. */
export function billHistory(events: HistoryEvent[], ref: { workflowId: string; runId: string }, window?: TimeWindow): RunActions {
  const run = runFacts(events);
  const inWindow = (e: HistoryEvent) => !window || (tsToMs(e.eventTime) >= window.from && tsToMs(e.eventTime) < window.to);
  const byType: Record<string, number> = {};
  let actions = 0;
  let counted = 0;
  let bytes = 0;
  let runBytes = 0;
  for (const e of events) {
    const size = encodedSize(e);
    runBytes += size;
    if (!inWindow(e)) continue;
    counted++;
    bytes += size;
    const rule = BILLED_EVENTS[eventName(e)];
    const n = rule?.bill(e, run) ?? 0;
    if (n === 0 || !rule) continue;
    // A schedule's execution shows apart from the start it pays for, as the page lists them.
    if (rule.action === 'start_workflow' && run.scheduled) {
      byType.schedule_start = (byType.schedule_start ?? 0) + n - 1;
      byType.schedule_workflow = (byType.schedule_workflow ?? 0) + 1;
    } else {
      byType[rule.action] = (byType[rule.action] ?? 0) + n;
    }
    actions += n;
  }
  const started = events[0]?.workflowExecutionStartedEventAttributes;
  const last = events.at(-1);
  const result = last?.workflowExecutionCompletedEventAttributes?.result?.payloads?.[0]?.data;
  return {
    ...ref,
    workflowType: started?.workflowType?.name ?? '?',
    scheduled: run.scheduled,
    continued: started?.initiator === temporal.api.enums.v1.ContinueAsNewInitiator.CONTINUE_AS_NEW_INITIATOR_WORKFLOW,
    startedAt: events[0] ? tsToMs(events[0].eventTime) : 0,
    closedAt: last && CLOSED.has(last.eventType ?? 0) ? tsToMs(last.eventTime) : null,
    actions,
    events: counted,
    historyBytes: bytes,
    runEvents: events.length,
    runBytes,
    ...(result?.length ? { result: JSON.parse(Buffer.from(result).toString('utf8')) as unknown } : {}),
    byType,
  };
}

/** Epoch milliseconds, `from` included, `to` excluded. */
export interface TimeWindow {
  from: number;
  to: number;
}

async function inBatches<T, R>(items: T[], width: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, async () => {
    for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i]!);
  }));
  return out;
}

/**
 * Fetches each execution's history and bills it (only its events inside `window`, when given).
 * Returns { actions, byType, events, historyBytes } and each run's own figures.
 */
export async function countActions(client: Client, executions: ExecutionRef[], window?: TimeWindow): Promise<ActionCount> {
  const runs = await inBatches(executions, 8, async (ref) => {
    const handle = client.workflow.getHandle(ref.workflowId, ref.runId);
    const runId = ref.runId ?? (await handle.describe()).runId;
    const history = await handle.fetchHistory();
    return billHistory(history.events ?? [], { workflowId: ref.workflowId, runId }, window);
  });
  const byType: Record<string, number> = {};
  for (const run of runs) for (const [k, v] of Object.entries(run.byType)) byType[k] = (byType[k] ?? 0) + v;
  return {
    actions: runs.reduce((a, r) => a + r.actions, 0),
    byType,
    events: runs.reduce((a, r) => a + r.events, 0),
    historyBytes: runs.reduce((a, r) => a + r.historyBytes, 0),
    runs,
  };
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Executions of `taskQueue` (and `extra`, a visibility clause) that were open at some point of `window`. */
export async function listExecutions(client: Client, window: TimeWindow, filter: { taskQueue?: string; extra?: string } = {}): Promise<ExecutionRef[]> {
  const clauses = [
    `StartTime < "${iso(window.to)}"`,
    `(ExecutionStatus = "Running" OR CloseTime >= "${iso(window.from)}")`,
    ...(filter.taskQueue ? [`TaskQueue = "${filter.taskQueue}"`] : []),
    ...(filter.extra ? [filter.extra] : []),
  ];
  const refs: ExecutionRef[] = [];
  for await (const info of client.workflow.list({ query: clauses.join(' AND ') })) refs.push({ workflowId: info.workflowId, runId: info.runId });
  return refs;
}

/** The actions one binding cost during `window`: its pulls (by the BindingId search attribute), initial syncs, pushes… */
export async function bindingActions(client: Client, bindingId: string, window: TimeWindow): Promise<ActionCount> {
  return countActions(client, await listExecutions(client, window, { extra: `BindingId = "${bindingId}"` }), window);
}

/**
 * The dev server's own `action` counter (frontend, by action_type, one namespace), from its Prometheus
 * endpoint: the only place heartbeats, queries and schedule RPCs show. It counts by the open-source
 * server's rules, which are close to Cloud's but not the same (it bills the scheduler's internal workflow too).
 */
export async function serverActions(metricsUrl: string, namespace = 'default'): Promise<Record<string, number>> {
  const text = await (await fetch(metricsUrl)).text();
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    if (!line.startsWith('action{')) continue;
    const labels = line.slice(line.indexOf('{') + 1, line.lastIndexOf('}'));
    if (!labels.includes(`namespace="${namespace}"`)) continue;
    const type = /action_type="([^"]*)"/.exec(labels)?.[1] ?? '?';
    out[type] = (out[type] ?? 0) + Number(line.slice(line.lastIndexOf('}') + 1).trim());
  }
  return out;
}

/** `after − before`, per action type, leaving out the types that did not move. */
export function actionDelta(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - (before[k] ?? 0)]).filter(([, v]) => v !== 0));
}
