import { afterAll, beforeAll } from 'vitest';
import { github } from '../connectors/github';
import { describeConnectorConformance } from '@trackbridge/testing';
import { type GitHubDouble, startGitHubDouble } from './support/github-double';
import { githubConformance } from './support/github-conformance';

// The double's clock is frozen, so the kit's waits on remote time cost nothing: they move it.
let gh: GitHubDouble;

beforeAll(async () => {
  gh = await startGitHubDouble({ now: '2024-06-01T12:00:00Z', login: 'sync-bot' });
});
afterAll(async () => {
  await gh.close();
});

describeConnectorConformance({ definition: github, ...githubConformance(() => gh) });
