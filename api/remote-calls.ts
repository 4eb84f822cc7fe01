import { randomUUID } from 'node:crypto';
import { ApplicationFailure, TimeoutFailure, WorkflowFailedError, type Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { ScopeGroup } from '../connectors/types';
import { ConnectorKey } from '../lib/temporal';
import { ApiError, isTemporalUnavailable, rootCause, temporalUnavailable } from './errors';

/** How long a Temporal call the API makes may take before it answers 503: Temporal down must not hang a request. */
export const TEMPORAL_CALL_MS = 5_000;

/** Runs `call` with a short deadline on every Temporal request inside it; an unreachable server becomes a 503. */
export async function bounded<T>(temporal: Client, call: () => Promise<T>, ms = TEMPORAL_CALL_MS): Promise<T> {
  try {
    return await temporal.connection.withDeadline(Date.now() + ms, call);
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
export async function listRemoteScopes(temporal: Client, taskQueue: string, logger: Logger, connection: { id: string; connector: string }, timeout = '30 seconds'): Promise<ScopeGroup[]> {
  const handle = await bounded(temporal, () => temporal.workflow.start('scopeListing', {
    workflowId: `scopes/${connection.id}/${randomUUID().slice(0, 8)}`,
    taskQueue,
    args: [connection.id],
    typedSearchAttributes: [{ key: ConnectorKey, value: connection.connector }],
    workflowExecutionTimeout: timeout,
  }));
  try {
    return await handle.result() as ScopeGroup[];
  } catch (err) {
    if (err instanceof WorkflowFailedError) throw remoteFailure(err, logger, { connectionId: connection.id });
    throw err;
  }
}
