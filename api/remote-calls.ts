import { randomUUID } from 'node:crypto';
import { ApplicationFailure, TimeoutFailure, WorkflowFailedError, type Client } from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import type { Logger } from 'pino';
import type { ScopeGroup } from '../connectors/types';
import { ConnectorKey } from '../workflows/contract';
import { scopeListing } from '../workflows';
import { scopeListingWorkflowId } from '../workflows/contract';
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
    case 'AuthError': return new ApiError(502, 'remote_auth', withStatus('The remote refused the connection\'s credentials', statusOf(app)));
    case 'PermanentError': {
      const status = statusOf(app);
      // A 2xx that still failed is an answer of the wrong shape (a wrong base URL, a proxy's page).
      if (typeof status === 'number' && status < 400) return new ApiError(502, 'unexpected_response', withStatus('The remote answered something the connector does not understand (is the base URL right?)', status));
      return new ApiError(502, 'remote_refused', withStatus('The remote refused the request', status));
    }
    case 'TransientError': return new ApiError(502, 'remote_unavailable', withStatus('The remote is unavailable', statusOf(app)), undefined, 30);
    default: return new ApiError(502, 'unexpected_response', 'The remote answered something the connector does not understand (is the base URL right?)');
  }
}

/** Lists a connection's scopes through the short scope-listing workflow (the API never calls a remote itself). */
export async function listRemoteScopes(caller: TemporalCaller, taskQueue: string, logger: Logger, connection: { id: string; connector: string }, timeout: Duration = '30 seconds'): Promise<ScopeGroup[]> {
  const { temporal } = caller;
  const handle = await bounded(caller, () => temporal.workflow.start(scopeListing, {
    workflowId: scopeListingWorkflowId(connection.id, randomUUID().slice(0, 8)),
    taskQueue,
    args: [connection.id],
    typedSearchAttributes: [{ key: ConnectorKey, value: connection.connector }],
    workflowExecutionTimeout: timeout,
  }));
  try {
    return await handle.result();
  } catch (err) {
    if (err instanceof WorkflowFailedError) throw remoteFailure(err, logger, { connectionId: connection.id });
    throw err;
  }
}
