import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { RemoteMetadata } from '../connectors/types';
import { scopeListingOptions } from './activity-options';

const { listMetadata } = proxyActivities<Activities>(scopeListingOptions);

/** A scope's statuses, priorities, users, labels, issue types and custom fields (null: the connector cannot tell). Id: `metadata/<connection>/<nonce>`. */
export async function metadataListing(connectionId: string, scope: string): Promise<RemoteMetadata | null> {
  return listMetadata(connectionId, scope);
}
