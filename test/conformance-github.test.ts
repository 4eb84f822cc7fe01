import { afterAll, beforeAll } from 'vitest';
import { github } from '../connectors/github';
import { describeConnectorConformance } from '../testing';
import { type GitHubDouble, startGitHubDouble } from './support/github-double';

// The double's clock is frozen, so the kit's waits on remote time cost nothing: they move it.
let gh: GitHubDouble;
let repos = 0;

beforeAll(async () => {
  gh = await startGitHubDouble({ now: '2024-06-01T12:00:00Z', login: 'sync-bot' });
});
afterAll(async () => {
  await gh.close();
});

describeConnectorConformance({
  definition: github,
  connect: (baseUrl) => ({ config: { baseUrl, overlapSeconds: 5 }, secrets: { token: gh.token } }),
  traits: { pageSize: 100, overlapSeconds: 5 },
  remote: {
    url: () => gh.url,
    async reset() {
      const repo = `kit/conformance-${++repos}`;
      gh.createRepo(repo);
      return repo;
    },
    async seed(repo, count) {
      // Created now, one stamp (second) apart: seedIssues would spread them over a past year.
      return Array.from({ length: count }, (_, i) => String(gh.addIssue(repo, { title: `Seeded ${i + 1}`, user: 'octocat' }).number));
    },
    async edit(repo, remoteId, { title }) {
      gh.editIssue(repo, Number(remoteId), { title });
    },
    async waitUntil(instant) {
      gh.setTime(Math.max(gh.now().getTime(), instant));
    },
  },
});
