import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { TestResult } from '../connectors/types';
import { connectionTestOptions } from './activity-options';

const { testConnection } = proxyActivities<Activities>(connectionTestOptions);

/** Checks a connection's credentials against its remote. Id: `connection-test/<connection>/<nonce>`. */
export async function connectionTest(connectionId: string): Promise<TestResult> {
  return testConnection(connectionId);
}
