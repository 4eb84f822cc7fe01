import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jira } from '../connectors/jira';
import { describeConnectorConformance } from '@trackbridge/testing';
import { contractCheck, type ContractCheck } from './support/jira-contract';
import { startJiraDouble, type JiraDouble } from './support/jira-double';
import { JIRA_LAG_MS, jiraConformance } from './support/jira-conformance';

// The double's clock is frozen, so the kit's waits on remote time cost nothing: they move it. Every
// answer the double gives the connector meanwhile is held to Jira's published model.
describe.each(['cloud', 'datacenter'] as const)('Jira %s', (deployment) => {
  let double: JiraDouble;
  let contract: ContractCheck;

  beforeAll(async () => {
    // Strict as Jira: no property index, and a search that shows writes 2 s late. The clock is frozen, so
    // time passes as requests are answered (250 ms each) and as the remote control waits for the index.
    double = await startJiraDouble({ deployment, now: '2024-06-01T12:00:00Z', searchLagMs: JIRA_LAG_MS, requestLatencyMs: 250 });
    contract = contractCheck(deployment);
    double.observe((e) => contract.check(e));
  });
  afterAll(async () => {
    await double.close();
  });

  describeConnectorConformance({ definition: jira, ...jiraConformance(() => double) });

  it('answered the connector only as the published model allows', () => {
    expect(contract.covered.size).toBeGreaterThan(5);
    expect(contract.violations).toEqual([]);
  });
});
