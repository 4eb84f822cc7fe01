import type { ConnectorClient, RemoteMetadata, ScopeGroup, TestResult } from '../connectors/types';
import { toFailure } from './failures';
import { isAuthError, isPermanentError } from '../connectors/errors';
import type { ActivityDeps } from './deps';
import { openCandidate, openConnection } from './remote';

export function createConnectionActivities(deps: ActivityDeps) {
  return {
    /**
     * Runs the connector's own check; a rejected credential is a result, not a failure. With `candidate`
     * (a config and secrets sealed by the API, so the workflow's history holds no secret in the clear)
     * it checks those instead of the stored ones: a change is tested before it is saved.
     */
    async testConnection(connectionId: string, candidate?: string): Promise<TestResult> {
      let client: ConnectorClient;
      try {
        ({ client } = candidate === undefined ? await openConnection(deps, connectionId) : await openCandidate(deps, connectionId, candidate));
      } catch (err) {
        // A candidate the connector refuses outright (a Jira credential of the wrong deployment): a failed test.
        if (candidate !== undefined && isPermanentError(err)) return { ok: false, message: err.message };
        throw err;
      }
      try {
        return await client.testConnection();
      } catch (err) {
        if (isAuthError(err)) return { ok: false, message: `Authentication failed: ${err.message}` };
        if (isPermanentError(err)) return { ok: false, message: err.message };
        throw err;
      }
    },

    /** The scope's value lists; null when the connector cannot list them. */
    async listMetadata(connectionId: string, scope: string): Promise<RemoteMetadata | null> {
      const { client } = await openConnection(deps, connectionId);
      if (!client.metadata) return null;
      try {
        return await client.metadata(scope);
      } catch (err) {
        throw toFailure(err);
      }
    },

    async listScopes(connectionId: string): Promise<ScopeGroup[]> {
      const { client } = await openConnection(deps, connectionId);
      try {
        return await client.listScopes();
      } catch (err) {
        throw toFailure(err);
      }
    },
  };
}

