import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ConnectorClient, capability, isAuthError, isRateLimitedError } from '@trackbridge/sdk';
import { connectForTest } from '@trackbridge/testing';
import { issueIdFor } from '../src/api.js';
import { linear } from '../src/connector.js';
import { type LinearDouble, type LinearDoubleOptions, startLinearDouble } from './support/linear-double.js';

let double: LinearDouble;
let team: string;

async function start(options: LinearDoubleOptions = {}) {
  double = await startLinearDouble(options);
  team = double.createTeam('ENG');
}
beforeEach(() => start());
afterEach(async () => {
  expect(double.violations).toEqual([]);
  await double.close();
});

const connect = (opts: { apiKey?: string; pageSize?: number } = {}): ConnectorClient => connectForTest(linear, {
  config: { baseUrl: double.url, pageSize: opts.pageSize ?? 50, maxInlineWaitSeconds: 0 },
  secrets: { apiKey: opts.apiKey ?? double.apiKey },
});

describe('Linear connector', () => {
  it('maps state, priority, assignee, labels, estimate and cycle both ways', async () => {
    double.label(team, 'bug');
    double.label(team, 'customer');
    double.cycle(team, 7);
    const writer = capability(connect(), 'writer', 'linear');
    const created = await writer.createItem(team, {
      marker: 'tb-1234abcd-story-1',
      fields: {
        title: 'Checkout fails', description: '## Steps\n\n1. pay', status: 'In Progress', closed: false, priority: 'High', assignee: 'alice',
        labels: ['bug', 'customer'], customFields: { Estimate: '3', Cycle: '7' },
      },
    });
    expect(created.fields).toMatchObject({ title: 'Checkout fails', description: '## Steps\n\n1. pay', status: 'In Progress', closed: false, priority: 'High', assignee: 'alice', labels: ['bug', 'customer'], customFields: { Estimate: '3', Cycle: '7' } });
    expect(created.key).toBe('ENG-1');
    const stored = double.issue(created.remoteId)!;
    expect(stored).toMatchObject({ priority: 2, estimate: 3 });

    // A generic "closed" goes to the team's first completed state; priority and labels clear.
    const updated = await writer.updateItem(team, created.remoteId, { status: 'closed', closed: true, priority: null, labels: [], customFields: { Estimate: null, Cycle: null } }, created.version);
    expect(updated.fields).toMatchObject({ status: 'Done', closed: true, priority: null, labels: [], customFields: { Estimate: null, Cycle: null } });
    expect(double.stateName(double.issue(created.remoteId)!)).toBe('Done');
  });

  it('keeps the create marker as the issue id: a retried create finds the issue the first attempt made, and the description stays clean', async () => {
    const writer = capability(connect(), 'writer', 'linear');
    const fields = { title: 'Once', description: 'Only once', status: 'Todo', closed: false, priority: null, assignee: null, labels: [], customFields: {} };
    const first = await writer.createItem(team, { marker: 'tb-x-1', fields });
    expect(first.remoteId).toBe(issueIdFor('tb-x-1'));
    expect(first.marker).toBe(linear.markerForm!('tb-x-1'));
    expect(first.fields.description).toBe('Only once');
    const again = await writer.createItem(team, { marker: 'tb-x-1', fields });
    expect(again.remoteId).toBe(first.remoteId);
    expect(double.issues(team)).toHaveLength(1);
    expect((await writer.findByMarker(team, 'tb-x-1'))?.remoteId).toBe(first.remoteId);
    expect(await writer.findByMarker(team, 'tb-x-2')).toBeNull();
  });

  it('leaves out a label, member or cycle Linear does not have, with a warning, instead of failing the write', async () => {
    const writer = capability(connect(), 'writer', 'linear');
    const created = await writer.createItem(team, {
      marker: 'tb-w-1',
      fields: { title: 'T', description: '', status: 'Todo', closed: false, priority: 'Someday', assignee: 'nobody', labels: ['nope'], customFields: { Cycle: '99' } },
    });
    expect(created.fields).toMatchObject({ priority: null, assignee: null, labels: [] });
    expect(created.warnings).toEqual([
      'Linear has no priority "Someday" (its priorities: No priority, Urgent, High, Medium, Low): the priority was not set',
      'Linear team ENG has no member "nobody": the assignee was not set',
      'Linear team ENG has no label "nope": it was left out',
      'Linear team ENG has no cycle "99": the cycle was not set',
    ]);
  });

  it('lists every issue of the team once through cursor pages, and reads comments', async () => {
    const ids = double.seed(team, 23);
    double.createTeam('OPS');
    double.seed('OPS', 3);
    const client = connect({ pageSize: 10 });
    const seen: string[] = [];
    for await (const page of client.pull(team, null)) seen.push(...page.items.map((i) => i.remoteId));
    expect(seen.sort()).toEqual([...ids].sort());
    double.comment(ids[0]!, 'Seen on staging');
    expect((await client.listComments(team, ids[0]!)).map((c) => [c.author, c.body])).toEqual([['bob', 'Seen on staging']]);
    expect(await client.getItem('OPS', ids[0]!)).toBeNull();
  });

  it("reads Linear's 400 answers by their code: a rejected key is an auth failure, a spent budget a rate limit", async () => {
    await expect(connect({ apiKey: 'lin_api_wrong' }).getItem(team, 'x')).rejects.toSatisfy(isAuthError);
    await double.close();
    await start({ requestsPerHour: 0 });
    await expect(connect().getItem(team, 'x')).rejects.toSatisfy(isRateLimitedError);
  });

  it('paces by the budget Linear reports: a request the budget cannot pay for waits for the window instead of being sent', async () => {
    await double.close();
    await start({ requestsPerHour: 2 });
    const client = connect();
    const [id] = double.seed(team, 1) as [string];
    await client.getItem(team, id);
    const sent = double.log.length;
    // One request left for the rest of the hour: the pacer spreads it, so this one would wait (here, longer than it may sleep).
    const error = await client.getItem(team, id).catch((e: unknown) => e);
    expect(isRateLimitedError(error)).toBe(true);
    expect((error as Error).message).toContain('request budget exhausted');
    expect(double.log.length).toBe(sent);
  });

  it("the double refuses a query Linear's schema does not validate: one wrong field fails the request, and the test", async () => {
    const res = await fetch(`${double.url}/graphql`, {
      method: 'POST',
      headers: { authorization: double.apiKey, 'content-type': 'application/json' },
      body: JSON.stringify({ operationName: 'Wrong', query: 'query Wrong { issues(first: 1) { nodes { id title status } } }' }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ errors: [{ message: 'Cannot query field "status" on type "Issue". Did you mean "state"?', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }] });
    const input = await fetch(`${double.url}/graphql`, {
      method: 'POST',
      headers: { authorization: double.apiKey, 'content-type': 'application/json' },
      body: JSON.stringify({ operationName: 'Bad', query: 'mutation Bad($input: IssueCreateInput!) { issueCreate(input: $input) { success } }', variables: { input: { teamId: 'x', title: 't', state: 'Done' } } }),
    });
    expect(input.status).toBe(400);
    expect(double.violations).toHaveLength(2);
    expect(double.violations[1]).toContain('Field "state" is not defined by type "IssueCreateInput"');
    double.violations.length = 0;
  });
});
