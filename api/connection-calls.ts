import { randomUUID } from 'node:crypto';
import { ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import type { Logger } from 'pino';
import type { RemoteMetadata, TestResult } from '../connectors/types';
import { connectionTest, metadataListing } from '../workflows';
import { ConnectorKey, connectionTestWorkflowId, metadataWorkflowId } from '../workflows/contract';
import { ApiError } from './errors';
import { bounded, remoteFailure, type TemporalCaller } from './remote-calls';

/** What these calls need of the API's dependencies. */
export interface ConnectionCaller extends TemporalCaller { taskQueue: string; logger: Logger }
type ConnectionRef = { id: string; connector: string };

/** The activity's failure under a failed workflow, if it was one the connector classified. */
function applicationFailure(err: WorkflowFailedError): ApplicationFailure | undefined {
  let failure: unknown = err.cause;
  while (failure && !(failure instanceof ApplicationFailure)) failure = (failure as Error).cause;
  return failure instanceof ApplicationFailure ? failure : undefined;
}

/**
 * Starts a short workflow and waits for its answer; a failed one becomes the API's classified remote
 * failure, unless `userError` reads it as the request's own fault.
 */
async function shortWorkflow<T>(
  caller: ConnectionCaller, connection: ConnectionRef, start: () => Promise<{ result(): Promise<T> }>,
  userError?: (failure: ApplicationFailure) => ApiError | undefined,
): Promise<T> {
  const handle = await bounded(caller, start);
  try {
    return await handle.result();
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) throw err;
    const failure = applicationFailure(err);
    const own = failure && userError?.(failure);
    if (own) {
      caller.logger.info({ connectionId: connection.id, cause: failure.message }, 'remote call refused the request\'s input');
      throw own;
    }
    throw remoteFailure(err, caller.logger, { connectionId: connection.id });
  }
}

/** A scope the remote does not know (404, or one the connector cannot even read as a scope): the caller's to fix. */
function unknownScope(scope: string) {
  return (failure: ApplicationFailure): ApiError | undefined => {
    if (failure.type !== 'PermanentError') return undefined;
    const status = (failure.details?.[0] as { status?: unknown } | undefined)?.status;
    if (status !== null && status !== undefined && status !== 404) return undefined;
    return new ApiError(422, 'unknown_scope', `The remote has no scope "${scope}" this connection can reach`, [{ path: 'scope', message: 'not found on the remote' }]);
  };
}

/**
 * Tests a connection change before it is saved: the candidate config and secrets travel sealed (the
 * workflow's history never holds a secret in the clear) and the worker tests them (the API never calls a remote).
 */
export function testCandidate(caller: ConnectionCaller, connection: ConnectionRef, sealedCandidate: string): Promise<TestResult> {
  return shortWorkflow(caller, connection, () => caller.temporal.workflow.start(connectionTest, {
    workflowId: connectionTestWorkflowId(connection.id, randomUUID().slice(0, 8)),
    taskQueue: caller.taskQueue,
    args: [connection.id, sealedCandidate],
    typedSearchAttributes: [{ key: ConnectorKey, value: connection.connector }],
    workflowExecutionTimeout: '90 seconds',
  }));
}

const METADATA_TTL_MS = 60_000;
const METADATA_CACHE_MAX = 500;

/**
 * A scope's metadata through the short metadata workflow, kept for a minute per connection and scope
 * (a binding wizard asks for it on every step). A change to the connection forgets its entries.
 */
export function metadataCache(caller: ConnectionCaller) {
  const entries = new Map<string, { at: number; value: RemoteMetadata | null }>();
  const key = (connectionId: string, scope: string) => `${connectionId}\u0000${scope}`;
  return {
    async get(connection: ConnectionRef, scope: string, refresh = false): Promise<RemoteMetadata | null> {
      const k = key(connection.id, scope);
      const hit = entries.get(k);
      if (hit && !refresh && Date.now() - hit.at < METADATA_TTL_MS) return hit.value;
      const value = await shortWorkflow(caller, connection, () => caller.temporal.workflow.start(metadataListing, {
        workflowId: metadataWorkflowId(connection.id, randomUUID().slice(0, 8)),
        taskQueue: caller.taskQueue,
        args: [connection.id, scope],
        typedSearchAttributes: [{ key: ConnectorKey, value: connection.connector }],
        workflowExecutionTimeout: '60 seconds',
      }), unknownScope(scope));
      entries.delete(k);
      entries.set(k, { at: Date.now(), value });
      // Oldest first in a Map: drop from the front past the cap.
      for (const old of entries.keys()) {
        if (entries.size <= METADATA_CACHE_MAX) break;
        entries.delete(old);
      }
      return value;
    },
    forget(connectionId: string): void {
      for (const k of entries.keys()) if (k.startsWith(`${connectionId}\u0000`)) entries.delete(k);
    },
  };
}
