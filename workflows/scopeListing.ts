import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ScopeGroup } from '../connectors/types';

const { listScopes } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 3, nonRetryableErrorTypes: ['AuthError', 'PermanentError', 'NotFound'] },
});

/** Lists the scopes (repos, projects) a connection can bind, grouped. Id: `scopes/<connection>/<nonce>`. */
export async function scopeListing(connectionId: string): Promise<ScopeGroup[]> {
  return listScopes(connectionId);
}
