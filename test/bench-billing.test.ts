import { describe, expect, it } from 'vitest';
import { msToTs } from '@temporalio/common/lib/time';
import protos, { type temporal as proto } from '@temporalio/proto';
import Long from 'long';
import { billHistory } from '../bench/actions';

const { temporal } = protos;
const T = temporal.api.enums.v1.EventType;
type Event = proto.api.history.v1.IHistoryEvent;
const ref = { workflowId: 'pull/b', runId: 'r' };
const at = (s: number) => msToTs(s * 1000);

/** A history of `events`, numbered from 1, one second apart. */
function history(...events: Array<Omit<Event, 'eventId' | 'eventTime'>>): Event[] {
  return events.map((e, i) => ({ ...e, eventId: Long.fromNumber(i + 1), eventTime: at(1000 + i) }));
}
const started = (attrs: proto.api.history.v1.IWorkflowExecutionStartedEventAttributes = {}): Event => ({
  eventType: T.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, workflowExecutionStartedEventAttributes: { workflowType: { name: 'w' }, ...attrs },
});
const task = (): Event[] => [
  { eventType: T.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED }, { eventType: T.EVENT_TYPE_WORKFLOW_TASK_STARTED }, { eventType: T.EVENT_TYPE_WORKFLOW_TASK_COMPLETED },
];
const activity = (attempt = 1): Event[] => [
  { eventType: T.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED },
  { eventType: T.EVENT_TYPE_ACTIVITY_TASK_STARTED, activityTaskStartedEventAttributes: { attempt } },
  { eventType: T.EVENT_TYPE_ACTIVITY_TASK_COMPLETED },
];
const marker = (taskId: number): Event => ({ eventType: T.EVENT_TYPE_MARKER_RECORDED, markerRecordedEventAttributes: { markerName: 'x', workflowTaskCompletedEventId: Long.fromNumber(taskId) } });
const scheduledBy = { searchAttributes: { indexedFields: { TemporalScheduledById: { data: new Uint8Array([1]) } } } };

/** The bench's action count follows Temporal Cloud's published rules (bench/actions.ts cites them). */
describe('billable actions of a history', () => {
  it('bills a schedule execution three actions, its activities one each and retries by attempt', () => {
    const bill = billHistory(history(started(scheduledBy), ...task(), ...activity(), ...activity(3), ...task()), ref);
    expect(bill.byType).toEqual({ schedule_start: 2, schedule_workflow: 1, schedule_activity: 2, retry_activity: 2 });
    expect(bill.actions).toBe(7);
  });

  it('bills all markers of one workflow task once, and a version marker\'s TemporalChangeVersion upsert not at all', () => {
    const upsertVersion: Event = {
      eventType: T.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
      upsertWorkflowSearchAttributesEventAttributes: { searchAttributes: { indexedFields: { TemporalChangeVersion: { data: new Uint8Array([1]) } } } },
    };
    const bill = billHistory(history(started(), ...task(), marker(4), marker(4), upsertVersion, ...task(), marker(8)), ref);
    expect(bill.byType).toEqual({ start_workflow: 1, record_activity_markers: 2 });
  });

  it('bills a timer, a signal, an accepted update, a child start (two) and continue-as-new; not the continued run\'s start', () => {
    const bill = billHistory(history(
      started(), ...task(), { eventType: T.EVENT_TYPE_TIMER_STARTED }, { eventType: T.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED },
      { eventType: T.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED }, { eventType: T.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED },
      { eventType: T.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW },
    ), ref);
    expect(bill.byType).toEqual({ start_workflow: 1, start_timer: 1, signal_workflow: 1, accept_workflow_update: 1, start_child_workflow: 2, continue_as_new_workflow: 1 });
    const next = billHistory(history(started({ initiator: temporal.api.enums.v1.ContinueAsNewInitiator.CONTINUE_AS_NEW_INITIATOR_WORKFLOW }), ...task()), ref);
    expect(next.actions).toBe(0);
  });

  it('bills a signal-with-start that started the workflow once, and a child\'s own start not at all', () => {
    expect(billHistory(history(started(), { eventType: T.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED }, ...task()), ref).actions).toBe(1);
    expect(billHistory(history(started({ parentWorkflowExecution: { workflowId: 'p' } }), ...task()), ref).actions).toBe(0);
  });

  it('counts only the events inside a window, with their encoded bytes', () => {
    const events = history(started(scheduledBy), ...task(), ...activity(), ...task());
    const whole = billHistory(events, ref);
    const late = billHistory(events, ref, { from: 1004_000, to: 2000_000 });
    expect(late.actions).toBe(1);
    expect(late.events).toBe(events.length - 4);
    expect(whole.historyBytes).toBe(temporal.api.history.v1.History.encode({ events }).finish().length);
    expect(late.runBytes).toBe(whole.historyBytes);
  });
});
