import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';

type Payloads = temporal.api.common.v1.IPayloads | null | undefined;

const values = (payloads: Payloads): string =>
  JSON.stringify((payloads?.payloads ?? []).map((p) => defaultPayloadConverter.fromPayload(p)));

/**
 * A workflow's history in a few lines (its runs through continue-as-new), for a fault test's failure
 * message: what a stuck workflow was told, what it ran and how each activity ended.
 */
export async function historySummary(client: Client, workflowId: string, maxLines = 80): Promise<string> {
  const lines: string[] = [];
  const runs: { runId: string; start: number; status: string }[] = [];
  for await (const w of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) runs.push({ runId: w.runId, start: w.startTime.getTime(), status: w.status.name });
  runs.sort((a, b) => a.start - b.start);
  for (const [run, { runId, status }] of runs.slice(-6).entries()) {
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory().catch((err: unknown) => String(err));
    if (typeof history === 'string') return [...lines, `  ${workflowId}: ${history}`].join('\n');
    lines.push(`  ${workflowId} run ${run + Math.max(0, runs.length - 6)} of ${runs.length} (${status}):`);
    for (const e of history.events ?? []) {
      const at = e.eventTime?.seconds ? new Date(Number(e.eventTime.seconds) * 1000).toISOString().slice(11, 19) : '';
      const a = e.activityTaskScheduledEventAttributes;
      const line = e.workflowExecutionSignaledEventAttributes
        ? `signal ${e.workflowExecutionSignaledEventAttributes.signalName} ${values(e.workflowExecutionSignaledEventAttributes.input)}`
        : a
          ? `schedule #${e.eventId} ${a.activityType?.name} ${values(a.input)}`
          : e.activityTaskCompletedEventAttributes
            ? `complete #${e.activityTaskCompletedEventAttributes.scheduledEventId} ${values(e.activityTaskCompletedEventAttributes.result)}`
            : e.activityTaskFailedEventAttributes
              ? `fail #${e.activityTaskFailedEventAttributes.scheduledEventId} ${e.activityTaskFailedEventAttributes.failure?.message}`
              : e.activityTaskTimedOutEventAttributes
                ? `timeout #${e.activityTaskTimedOutEventAttributes.scheduledEventId} ${e.activityTaskTimedOutEventAttributes.failure?.message}`
                : e.workflowExecutionContinuedAsNewEventAttributes
                  ? `continued as new ${values(e.workflowExecutionContinuedAsNewEventAttributes.input)}`
                  : e.workflowExecutionStartedEventAttributes
                    ? `started ${values(e.workflowExecutionStartedEventAttributes.input)}`
                    : e.workflowExecutionFailedEventAttributes
                      ? `failed ${e.workflowExecutionFailedEventAttributes.failure?.message}`
                      : e.workflowExecutionCompletedEventAttributes
                        ? 'completed'
                        : e.timerStartedEventAttributes || e.timerFiredEventAttributes || String(e.eventType).includes('WORKFLOW_TASK')
                          ? undefined
                          : `event ${e.eventType}`;
      if (line) lines.push(`    ${at} ${line}`);
    }
  }
  return lines.length > maxLines ? [...lines.slice(0, 5), '    …', ...lines.slice(-(maxLines - 5))].join('\n') : lines.join('\n');
}
