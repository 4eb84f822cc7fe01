import type { Client } from '@temporalio/client';
import type { TemporalControl } from '../activities/deps';
import { signalBacklog } from '../temporal/dispatch';
import { pausePullSchedule } from '../temporal/schedules';

/** What activities ask of Temporal, on a client (the worker's composition root hands it to createActivities). */
export const temporalControl = (client: Client): TemporalControl => ({
  signalBacklog: (taskQueue, binding, storyId, eventId) => signalBacklog(client, taskQueue, binding, storyId, eventId),
  pausePullSchedule: (bindingId, reason) => pausePullSchedule(client, bindingId, reason),
});
