import { randomBytes } from 'node:crypto';
import type { ConformanceOptions } from '../../testing';
import type { JiraDouble } from './jira-double';

/** The search lag the conformance runs use (of the double's frozen clock). */
export const JIRA_LAG_MS = 2000;

/**
 * The conformance kit's view of the Jira double: a fresh project per check, issues created now by
 * another user, and waits on remote time that move the double's frozen clock instead of sleeping.
 */
export function jiraConformance(double: () => JiraDouble): Pick<ConformanceOptions, 'connect' | 'traits' | 'remote' | 'newItemFields'> {
  return {
    connect: (baseUrl) => ({ config: { baseUrl, deployment: double().deployment, overlapSeconds: 5 }, secrets: double().secrets }),
    traits: { pageSize: 100, overlapSeconds: 5 },
    newItemFields: { status: 'To Do' },
    remote: {
      url: () => double().url,
      async reset() {
        const key = `K${randomBytes(4).toString('hex').toUpperCase().replace(/[0-9]/g, (d) => 'ABCDEFGHIJ'[Number(d)] ?? 'A')}`;
        double().createProject(key);
        return key;
      },
      // Fixtures are made, then waited for until search shows them, as a test against a real Jira would.
      async seed(project, count) {
        const ids = double().seed(project, count);
        double().advanceTime(JIRA_LAG_MS);
        return ids;
      },
      async edit(_project, remoteId, { title }) {
        double().edit(remoteId, { summary: title });
        double().advanceTime(JIRA_LAG_MS);
      },
      async waitUntil(instant) {
        double().setTime(Math.max(double().now().getTime(), instant));
      },
    },
  };
}
