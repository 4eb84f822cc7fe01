import { randomUUID } from 'node:crypto';
import type { ApplicationFailure } from '@temporalio/client';
import type { RemoteMetadata, TestResult } from '../connectors/types';
import { connectionTest, metadataListing } from '../workflows';
import { Failure, connectionTestWorkflowId, metadataWorkflowId } from '../workflows/contract';
import { ApiError } from './errors';
import { remoteWorkflow, type ConnectionRef, type RemoteCaller } from './remote-calls';

/** A scope the remote does not know (404, or one the connector cannot even read as a scope): the caller's to fix. */
function unknownScope(scope: string) {
  return (failure: ApplicationFailure): ApiError | undefined => {
    if (failure.type !== Failure.permanent) return undefined;
    const status = (failure.details?.[0] as { status?: unknown } | undefined)?.status;
    if (status !== null && status !== undefined && status !== 404) return undefined;
    return new ApiError(422, 'unknown_scope', `The remote has no scope "${scope}" this connection can reach`, [{ path: 'scope', message: 'not found on the remote' }]);
  };
}

/**
 * Tests a connection change before it is saved: the candidate config and secrets travel sealed (the
 * workflow's history never holds a secret in the clear) and the worker tests them (the API never calls a remote).
 */
export function testCandidate(caller: RemoteCaller, connection: ConnectionRef, sealedCandidate: string): Promise<TestResult> {
  return remoteWorkflow(caller, connection, (base) => caller.temporal.workflow.start(connectionTest, {
    ...base, workflowId: connectionTestWorkflowId(connection.id, randomUUID().slice(0, 8)), args: [connection.id, sealedCandidate], workflowExecutionTimeout: '90 seconds',
  }));
}

const METADATA_TTL_MS = 60_000;
const METADATA_CACHE_MAX = 500;

/**
 * A scope's metadata through the short metadata workflow, kept for a minute per connection and scope
 * (a binding wizard asks for it on every step). A change to the connection forgets its entries.
 */
export function metadataCache(caller: RemoteCaller) {
  const entries = new Map<string, { at: number; value: RemoteMetadata | null }>();
  const key = (connectionId: string, scope: string) => `${connectionId}\u0000${scope}`;
  return {
    async get(connection: ConnectionRef, scope: string, refresh = false): Promise<RemoteMetadata | null> {
      const k = key(connection.id, scope);
      const hit = entries.get(k);
      if (hit && !refresh && Date.now() - hit.at < METADATA_TTL_MS) return hit.value;
      const value = await remoteWorkflow(caller, connection, (base) => caller.temporal.workflow.start(metadataListing, {
        ...base, workflowId: metadataWorkflowId(connection.id, randomUUID().slice(0, 8)), args: [connection.id, scope], workflowExecutionTimeout: '60 seconds',
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
