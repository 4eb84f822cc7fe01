import { beforeAll } from 'vitest';
import { redmine } from '../connectors/redmine';
import { describeConnectorConformance } from '@trackbridge/testing';
import { type Redmine, createProject, editIssue, ensureRedmine, seedIssues } from './support/redmine';

// The real Redmine of scripts/redmine.sh. It runs on this machine and stamps updated_on in whole
// seconds from our clock, so the kit's default wait (this machine's clock, until past a timestamp
// Redmine gave) is a wait on Redmine's own timestamps.
let r: Redmine;

beforeAll(async () => {
  r = await ensureRedmine();
});

describeConnectorConformance({
  definition: redmine,
  connect: (baseUrl) => ({ config: { baseUrl, overlapSeconds: 2 }, secrets: { apiKey: r.apiKey } }),
  traits: { pageSize: 100, overlapSeconds: 2 },
  newItemFields: { priority: 'Normal' },
  timeoutMs: 90_000,
  remote: {
    url: () => r.url,
    reset: async () => (await createProject(r)).identifier,
    seed: async (project, count) => (await seedIssues(r, project, count)).map((issue) => String(issue.id)),
    edit: (_project, remoteId, { title }) => editIssue(r, Number(remoteId), { subject: title }),
  },
});
