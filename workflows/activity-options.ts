import { ActivityCancellationType, type ActivityOptions } from '@temporalio/workflow';
import { Failure } from './failures';

export { Failure };

/** Retrying cannot help these: bad credentials, a refused request, a missing record (plus `extra`, per preset). */
export const nonRetryable = (...extra: string[]): string[] => [Failure.auth, Failure.permanent, Failure.notFound, ...extra];

/** Remote writes heartbeat on a timer: a dead worker is noticed in 15 s, a slow remote is not cut short. */
const remoteWrite = { startToCloseTimeout: '10 minutes', heartbeatTimeout: '15 seconds' } satisfies ActivityOptions;

/** Bookkeeping on the hub (backlogged flags, queueing on the backlog): retried until the database answers. */
export const controlOptions: ActivityOptions = { startToCloseTimeout: '30 seconds', retry: { initialInterval: '1 second', maximumInterval: '30 seconds' } };

/**
 * A direct push: a transient remote failure is not retried here (after the connector's own quick
 * retries) but handed to the backlog; other failures (a dead worker, a conflict) retry a few times.
 */
export const directWriteOptions: ActivityOptions = {
  ...remoteWrite,
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumAttempts: 3, nonRetryableErrorTypes: nonRetryable(Failure.transient) },
};

/** The backlog's head: retried for as long as the remote stays down, backing off to 1 s only (see backlog.ts). */
export const headWriteOptions: ActivityOptions = {
  ...remoteWrite,
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '1 second', nonRetryableErrorTypes: nonRetryable() },
};

/** The stories behind the backlog's head: one attempt each. */
export const onceWriteOptions: ActivityOptions = { ...remoteWrite, retry: { maximumAttempts: 1 } };

/**
 * Sync pages heartbeat; a killed worker is noticed within the heartbeat timeout and the activity
 * resumes from the last page it heartbeated (R1). Transient errors retry with backoff for as long as
 * the remote is down.
 */
export const syncPageOptions: ActivityOptions = {
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '20 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes', nonRetryableErrorTypes: nonRetryable() },
};

/**
 * A webhook's fetch of one item: retried with backoff for about ten minutes while the remote is down,
 * then given up, since the scheduled pull is the safety net and will read the item anyway.
 */
export const pullItemOptions: ActivityOptions = {
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 12, nonRetryableErrorTypes: nonRetryable() },
};

/** Listing a connection's scopes answers an API request: a few quick attempts. */
export const scopeListingOptions: ActivityOptions = { startToCloseTimeout: '1 minute', retry: { maximumAttempts: 3, nonRetryableErrorTypes: nonRetryable() } };

/** A connection test reports refused credentials in its result, not as a failure: a few attempts for the rest. */
export const connectionTestOptions: ActivityOptions = { startToCloseTimeout: '30 seconds', retry: { maximumAttempts: 3, initialInterval: '1 second' } };

/**
 * A plugin action: it heartbeats (a dead worker is noticed in 10 s; a cancellation rides on the next
 * heartbeat the SDK sends, throttled to 80% of the timeout, so it reaches the action within ~8 s), and
 * a failure is retried twice; a PermanentError (or a param the worker's copy of the action refuses)
 * is not. Waiting for the cancellation to complete lets the activity record how the job ended.
 */
export const pluginActionOptions: ActivityOptions = {
  startToCloseTimeout: '1 hour',
  heartbeatTimeout: '10 seconds',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumAttempts: 3, nonRetryableErrorTypes: nonRetryable() },
};

/** How often a failing plugin hook is tried: five attempts over about a minute, then it is recorded as failed. */
export const HOOK_MAX_ATTEMPTS = 5;

/** A plugin hook: a minute per attempt (hooks are meant to be quick), retried with backoff. */
export const hookOptions: ActivityOptions = {
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: HOOK_MAX_ATTEMPTS, nonRetryableErrorTypes: ['HookNotLoaded'] },
};

/**
 * A sink's delivery: a failing head is retried for as long as the sink stays down, backing off to
 * 30 s (a broker or receiver that comes back is found within that), honouring Retry-After. Heartbeats per event.
 */
export const sinkDeliveryOptions: ActivityOptions = {
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', nonRetryableErrorTypes: nonRetryable() },
};
