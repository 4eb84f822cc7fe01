import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeConnectorConformance } from '@trackbridge/testing';
import { gitlab } from '../src/connector.js';
import { type GitLabDouble, startGitLabDouble } from './support/gitlab-double.js';

// The kit against the GitLab double, which holds every request and answer to GitLab's published contract.
let double: GitLabDouble;

beforeAll(async () => {
  double = await startGitLabDouble();
});
afterAll(async () => {
  await double.close();
});

describeConnectorConformance({
  definition: gitlab,
  connect: (baseUrl) => ({ config: { baseUrl, overlapSeconds: 1, pageSize: 10 }, secrets: { token: double.token } }),
  traits: { pageSize: 10, overlapSeconds: 1 },
  newItemFields: { status: 'opened' },
  remote: {
    url: () => double.url,
    reset: () => Promise.resolve(double.createProject()),
    seed: (project, count) => Promise.resolve(double.seed(project, count)),
    edit: (project, iid, { title }) => {
      double.edit(project, iid, { title });
      return Promise.resolve();
    },
  },
});

it('sent GitLab nothing its published contract does not allow, and answered only what it declares', () => {
  expect(double.violations).toEqual([]);
  // The kit did talk to the double: listings, creates, updates and comments.
  expect(double.log.length).toBeGreaterThan(20);
});
