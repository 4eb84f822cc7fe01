import { randomUUID } from 'node:crypto';
import { ApplicationFailure, TimeoutFailure, WorkflowFailedError, type Client } from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import type { Logger } from 'pino';
import type { ScopeGroup } from '../connectors/types';
import { ConnectorKey, Failure, scopeListingWorkflowId } from '../workflows/contract';
import { scopeListing } from '../workflows';
import { apiLimits, type ApiLimits } from './limits';
import { ApiError, isTemporalUnavailable, rootCause, temporalUnavailable } from './errors';

/** What a bounded Temporal call needs of the API's dependencies. */
export interface TemporalCaller { temporal: Client; limits?: Partial<ApiLimits> | undefined }

/**
 * Runs `call` with a short deadline (TEMPORAL_CALL_TIMEOUT_MS) on every Temporal request inside it;
 * an unreachable or overloaded server becomes a 503 with Retry-After instead of a hung request.
 */
export async function bounded<T>({ temporal, limits }: TemporalCaller, call: () => Promise<T>): Promise<T> {
  try {
    return await temporal.connection.withDeadline(Date.now() + apiLimits(limits).temporalCallMs, call);
  } catch (err) {
    if (isTemporalUnavailable(err)) throw temporalUnavailable();
    throw err;
  }
}

const statusOf = (f: ApplicationFailure) => (f.details?.[0] as { status?: unknown } | undefined)?.status;
const withStatus = (text: string, status: unknown) => (typeof status === 'number' ? `${text} (HTTP ${status})` : text);

/**
 * A failed remote call as a short, classified answer. The remote's own words (an error body, a
 * stack) stay in the log: echoed to API users they leak what sits behind the remote's address.
 */
export function remoteFailure(err: WorkflowFailedError, logger: Logger, context: Record<string, unknown>): ApiError {
  logger.warn({ ...context, cause: rootCause(err) }, 'remote call through a workflow failed');
  let failure: unknown = err.cause;
  while (failure && !(failure instanceof ApplicationFailure) && !(failure instanceof TimeoutFailure)) failure = (failure as Error).cause;
  if (failure instanceof TimeoutFailure || !failure) {
    return new ApiError(504, 'remote_timeout', 'The remote did not answer in time (or no worker is running)', undefined, 30);
  }
  const app = failure as ApplicationFailure;
  switch (app.type) {
    case Failure.auth: return new ApiError(502, 'remote_auth', withStatus('The remote refused the connection\'s credentials', statusOf(app)));
    case Failure.permanent: {
      const status = statusOf(app);
      // A 2xx that still failed is an answer of the wrong shape (a wrong base URL, a proxy's page).
      if (typeof status === 'number' && status < 400) return new ApiError(502, 'unexpected_response', withStatus('The remote answered something the connector does not understand (is the base URL right?)', status));
      return new ApiError(502, 'remote_refused', withStatus('The remote refused the request', status));
    }
    case Failure.transient: return new ApiError(502, 'remote_unavailable', withStatus('The remote is unavailable', statusOf(app)), undefined, 30);
    default: return new ApiError(502, 'unexpected_response', 'The remote answered something the connector does not understand (is the base URL right?)');
  }
}

/** What a remote call through a short workflow needs of the API's dependencies. */
export interface RemoteCaller extends TemporalCaller { taskQueue: string; logger: Logger }
export type ConnectionRef = { id: string; connector: string };

/**
 * Starts a short workflow that makes one remote call for a connection and waits for its answer (the API
 * never calls a remote itself). A failed one becomes the classified remote failure (remoteFailure),
 * unless `userError` reads the activity's failure as the request's own fault.
 */
export async function remoteWorkflow<T>(
  caller: RemoteCaller, connection: ConnectionRef, start: (base: { taskQueue: string; typedSearchAttributes: [{ key: typeof ConnectorKey; value: string }] }) => Promise<{ result(): Promise<T> }>,
  userError?: (failure: ApplicationFailure) => ApiError | undefined,
): Promise<T> {
  const handle = await bounded(caller, () => start({ taskQueue: caller.taskQueue, typedSearchAttributes: [{ key: ConnectorKey, value: connection.connector }] }));
  try {
    return await handle.result();
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) throw err;
    let failure: unknown = err.cause;
    while (failure && !(failure instanceof ApplicationFailure)) failure = (failure as Error).cause;
    const own = failure instanceof ApplicationFailure ? userError?.(failure) : undefined;
    if (own) {
      caller.logger.info({ connectionId: connection.id, cause: (failure as Error).message }, 'remote call refused the request\'s input');
      throw own;
    }
    throw remoteFailure(err, caller.logger, { connectionId: connection.id });
  }
}

/** Lists a connection's scopes through the short scope-listing workflow. */
export function listRemoteScopes(caller: RemoteCaller, connection: ConnectionRef, timeout: Duration = '30 seconds'): Promise<ScopeGroup[]> {
  return remoteWorkflow(caller, connection, (base) => caller.temporal.workflow.start(scopeListing, {
    ...base, workflowId: scopeListingWorkflowId(connection.id, randomUUID().slice(0, 8)), args: [connection.id], workflowExecutionTimeout: timeout,
  }));
}
