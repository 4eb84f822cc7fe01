import type { ScopeGroup, TestResult } from '../connectors/types';
import { toFailure } from './failures';
import { isAuthError, isPermanentError } from '../connectors/errors';
import type { ActivityDeps } from './deps';
import { openConnection } from './remote';

export function createConnectionActivities(deps: ActivityDeps) {
  return {
    /** Runs the connector's own check; a rejected credential is a result, not a failure. */
    async testConnection(connectionId: string): Promise<TestResult> {
      const { client } = await openConnection(deps, connectionId);
      try {
        return await client.testConnection();
      } catch (err) {
        if (isAuthError(err)) return { ok: false, message: `Authentication failed: ${err.message}` };
        if (isPermanentError(err)) return { ok: false, message: err.message };
        throw err;
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

