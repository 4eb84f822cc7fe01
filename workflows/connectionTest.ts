import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { TestResult } from '../connectors/types';

const { testConnection } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 3, initialInterval: '1 second' },
});

/** Checks a connection's credentials against its remote. Id: `connection-test/<connection>/<nonce>`. */
export async function connectionTest(connectionId: string): Promise<TestResult> {
  return testConnection(connectionId);
}
