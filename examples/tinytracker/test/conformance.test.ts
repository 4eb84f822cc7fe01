import { afterAll, beforeAll } from 'vitest';
import { describeConnectorConformance } from '@trackbridge/testing';
import { tinytracker } from '../src/connector.js';
import { type Tinytracker, startTinytracker } from '../src/server.js';

// A real server on this machine: the kit waits on the local clock (no waitUntil), so keep the overlap short.
let tracker: Tinytracker;

beforeAll(async () => {
  tracker = await startTinytracker();
});
afterAll(async () => {
  await tracker.close();
});

describeConnectorConformance({
  definition: tinytracker,
  connect: (baseUrl) => ({ config: { baseUrl, overlapSeconds: 1, pageSize: 10 }, secrets: { token: tracker.token } }),
  traits: { pageSize: 10, overlapSeconds: 1 },
  newItemFields: { status: 'open' },
  remote: {
    url: () => tracker.url,
    reset: () => Promise.resolve(tracker.createProject()),
    seed: (project, count) => Promise.resolve(tracker.seed(count, project).map(String)),
    edit: (_project, id, { title }) => {
      tracker.edit(Number(id), { title });
      return Promise.resolve();
    },
  },
});
