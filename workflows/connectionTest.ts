import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { TestResult } from '../connectors/types';
import { connectionTestOptions } from './activity-options';

const { testConnection } = proxyActivities<Activities>(connectionTestOptions);

/**
 * Checks a connection's credentials against its remote: the stored ones, or a `candidate` change
 * (config and secrets sealed by the API) before it is saved. Id: `connection-test/<connection>/<nonce>`.
 */
export async function connectionTest(connectionId: string, candidate?: string): Promise<TestResult> {
  return candidate === undefined ? testConnection(connectionId) : testConnection(connectionId, candidate);
}
