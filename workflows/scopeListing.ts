import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ScopeGroup } from '../connectors/types';
import { scopeListingOptions } from './activity-options';

const { listScopes } = proxyActivities<Activities>(scopeListingOptions);

/** Lists the scopes (repos, projects) a connection can bind, grouped. Id: `scopes/<connection>/<nonce>`. */
export async function scopeListing(connectionId: string): Promise<ScopeGroup[]> {
  return listScopes(connectionId);
}
