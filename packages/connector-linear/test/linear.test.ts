import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ConnectorClient, type UserPair, capability, isAuthError, isRateLimitedError } from '@trackbridge/sdk';
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

const connect = (opts: { apiKey?: string; pageSize?: number; users?: UserPair[] } = {}): ConnectorClient => connectForTest(linear, {
  config: { baseUrl: double.url, pageSize: opts.pageSize ?? 50, maxInlineWaitSeconds: 0, maxRequestsPerSecond: 100 },
  secrets: { apiKey: opts.apiKey ?? double.apiKey },
  ...(opts.users ? { binding: { users: opts.users } } : {}),
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

  it("reports what another user changed between our read and our write, from the issue's history (C1)", async () => {
    const client = connect();
    const writer = capability(client, 'writer', 'linear');
    const created = await writer.createItem(team, {
      marker: 'tb-h-1', fields: { title: 'T0', description: 'd', status: 'Todo', closed: false, priority: 'Low', assignee: null, labels: [], customFields: {} },
    });
    const read = (await client.getItem(team, created.remoteId))!;
    // Bob retitles it and makes it urgent after our read; our write then lands over both (no version: the gap the check cannot close).
    double.edit(created.remoteId, { title: 'Bob title', priority: 1 });
    await writer.updateItem(team, created.remoteId, { title: 'Our title', priority: 'High' });
    expect(await writer.editsSince(team, created.remoteId, read, { title: 'Our title', priority: 'High' })).toEqual({ title: 'Bob title', priority: 'Urgent' });
    // Only the fields we wrote are asked about; an edit after our write is for the next pull, not this race.
    expect(await writer.editsSince(team, created.remoteId, read, { labels: [] })).toEqual({});
    double.edit(created.remoteId, { state: 'Done' });
    expect(await writer.editsSince(team, created.remoteId, read, { title: 'Our title', status: 'Todo', closed: false })).toEqual({ title: 'Bob title' });
    // No one else's edit since a later read: nothing to report.
    const later = (await client.getItem(team, created.remoteId))!;
    expect(await writer.editsSince(team, created.remoteId, later, { title: 'Our title' })).toEqual({});
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

  describe("mentions, in Linear's own form, through the binding's user map", () => {
    // The hub calls Alice `alice-hub`; Linear's display name for her is `alice`. Bob is not in the map.
    const users: UserPair[] = [{ hub: 'alice-hub', remote: 'alice' }];
    const profile = (name: string) => `https://linear.app/acme/profiles/${name}`;
    const fields = (description: string) => ({ title: 'Mentions', description, status: 'Todo', closed: false, priority: null, assignee: null, labels: [], customFields: {} });
    const sent = (operation: string) => (double.log.filter((l) => l.operation === operation).at(-1)!.variables as { input: Record<string, string> }).input;

    it('writes @name as the profile URL Linear turns into a mention, and reads the mention Linear keeps back as @name', async () => {
      const client = connect({ users });
      const writer = capability(client, 'writer', 'linear');
      const description = "Ask @alice-hub first, then @alice-hub's team.\n\nNot `@alice-hub` in code, not \\@alice-hub, not [@alice-hub](https://example.com); @bob stays.";
      const created = await writer.createItem(team, { marker: 'tb-m-1', fields: fields(description) });

      // Over the wire: the profile URL (in <…> where a letter follows, so the URL ends there), never the hub name.
      expect(sent('TbCreateIssue').description).toBe(
        `Ask ${profile('alice')} first, then <${profile('alice')}>'s team.\n\nNot \`@alice-hub\` in code, not \\@alice-hub, not [@alice-hub](https://example.com); @bob stays.`,
      );
      // In Linear: two mentions of Alice, kept as links to her profile with her name.
      expect(double.issue(created.remoteId)!.description).toBe(
        `Ask [Alice Liddell](${profile('alice')}) first, then [Alice Liddell](${profile('alice')})'s team.\n\nNot \`@alice-hub\` in code, not \\@alice-hub, not [@alice-hub](https://example.com); @bob stays.`,
      );
      // Read back, it is the hub's text again: a pull after the push finds nothing changed.
      expect(created.fields.description).toBe(description);
      expect((await client.getItem(team, created.remoteId))!.fields.description).toBe(description);

      const comments = capability(client, 'comments', 'linear');
      const comment = await comments.addComment(team, created.remoteId, 'Over to you, @alice-hub.');
      expect(sent('TbCreateComment').body).toBe(`Over to you, ${profile('alice')}.`);
      expect(double.comments(created.remoteId)[0]!.body).toBe(`Over to you, [Alice Liddell](${profile('alice')}).`);
      expect(comment.body).toBe('Over to you, @alice-hub.');
      await comments.updateComment!(team, created.remoteId, comment.remoteId, '@alice-hub: done?');
      expect(sent('TbUpdateComment').body).toBe(`${profile('alice')}: done?`);
    });

    it('reads a mention a Linear user wrote, as a profile link, an autolink or a bare URL, as @name; people outside the map stay as Linear wrote them', async () => {
      const [id] = double.seed(team, 1) as [string];
      double.edit(id, { description: `Owner: [Alice Liddell](${profile('alice')})\n\n> reviewed by <${profile('alice')}> and [Bob Marley](${profile('bob')})` });
      double.comment(id, `Thanks ${profile('alice')}. Code: \`${profile('alice')}\``);
      const client = connect({ users });
      expect((await client.getItem(team, id))!.fields.description).toBe(`Owner: @alice-hub\n\n> reviewed by @alice-hub and [Bob Marley](${profile('bob')})`);
      expect((await client.listComments(team, id)).map((c) => c.body)).toEqual([`Thanks @alice-hub. Code: \`${profile('alice')}\``]);
      // Without a user map, nothing is rewritten and Linear's users are never asked for.
      const plain = connect();
      expect((await plain.getItem(team, id))!.fields.description).toContain(`[Alice Liddell](${profile('alice')})`);
      const before = double.log.filter((l) => l.operation === 'TbUsers').length;
      await capability(plain, 'writer', 'linear').createItem(team, { marker: 'tb-m-2', fields: fields('Ask @alice') });
      expect(sent('TbCreateIssue').description).toBe('Ask @alice');
      expect(double.log.filter((l) => l.operation === 'TbUsers').length).toBe(before);
    });

    it('asks for the workspace users once per session, and only when a text may hold a mention', async () => {
      const client = connect({ users });
      const writer = capability(client, 'writer', 'linear');
      const users$ = () => double.log.filter((l) => l.operation === 'TbUsers').length;
      const item = await writer.createItem(team, { marker: 'tb-m-3', fields: fields('No mention here') });
      expect(users$()).toBe(0);
      await writer.updateItem(team, item.remoteId, { description: 'For @alice-hub' }, item.version);
      await writer.updateItem(team, item.remoteId, { description: 'For @alice-hub again' });
      expect(users$()).toBe(1);
    });
  });
});
