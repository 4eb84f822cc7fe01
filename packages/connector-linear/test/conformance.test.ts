import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeConnectorConformance } from '@trackbridge/testing';
import { linear } from '../src/connector.js';
import { type LinearDouble, startLinearDouble } from './support/linear-double.js';

// The kit against the Linear double, which validates every query and mutation against Linear's published schema.
let double: LinearDouble;

beforeAll(async () => {
  double = await startLinearDouble();
});
afterAll(async () => {
  await double.close();
});

describeConnectorConformance({
  definition: linear,
  connect: (baseUrl) => ({ config: { baseUrl, overlapSeconds: 1, pageSize: 10 }, secrets: { apiKey: double.apiKey } }),
  // GraphQL reads are POSTs too: the kit cuts a mutation, not the query that looks the team up first.
  traits: { pageSize: 10, overlapSeconds: 1, writes: { methods: ['POST'], requestBody: /"query":"mutation\b/ } },
  newItemFields: { status: 'Todo' },
  remote: {
    url: () => double.url,
    reset: () => Promise.resolve(double.createTeam()),
    seed: (team, count) => Promise.resolve(double.seed(team, count)),
    edit: (_team, id, { title }) => {
      double.edit(id, { title });
      return Promise.resolve();
    },
  },
});

it('sent Linear no query or mutation its published schema does not validate', () => {
  expect(double.violations).toEqual([]);
  expect(double.log.length).toBeGreaterThan(20);
});
