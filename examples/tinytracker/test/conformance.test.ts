import { afterAll, beforeAll } from 'vitest';
import { describeConnectorConformance } from 'trackbridge/testing';
import { tinytracker } from '../connector';
import { type TinyTracker, startTinyTracker } from '../server';

// A real server on this machine: the kit waits on the local clock (no waitUntil), so keep the overlap short.
let tiny: TinyTracker;

beforeAll(async () => {
  tiny = await startTinyTracker();
});
afterAll(async () => {
  await tiny.close();
});

describeConnectorConformance({
  definition: tinytracker,
  connect: (baseUrl) => ({ config: { baseUrl, overlapSeconds: 1, pageSize: 10 }, secrets: { token: tiny.token } }),
  traits: { pageSize: 10, overlapSeconds: 1 },
  newItemFields: { status: 'open' },
  remote: {
    url: () => tiny.url,
    reset: () => Promise.resolve(tiny.createProject()),
    seed: (project, count) => Promise.resolve(tiny.seed(count, project).map(String)),
    edit: (_project, id, { title }) => {
      tiny.edit(Number(id), { title });
      return Promise.resolve();
    },
  },
});
