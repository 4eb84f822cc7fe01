import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ConnectorClient, type Json, type PullPage, type UserPair, capability, isAuthError, isConflictError } from '@trackbridge/sdk';
import { connectForTest } from '@trackbridge/testing';
import { gitlab } from '../src/connector.js';
import { type GitLabDouble, type GitLabDoubleOptions, startGitLabDouble } from './support/gitlab-double.js';

let double: GitLabDouble;
let project: string;

async function start(options: GitLabDoubleOptions = {}) {
  double = await startGitLabDouble(options);
  project = double.createProject('acme/platform/widgets');
}
beforeEach(() => start());
afterEach(async () => {
  expect(double.violations).toEqual([]);
  await double.close();
});

const connect = (opts: { token?: string; pageSize?: number; internalNotes?: boolean; baseUrl?: string; users?: UserPair[] } = {}): ConnectorClient => connectForTest(gitlab, {
  config: { baseUrl: opts.baseUrl ?? double.url, pageSize: opts.pageSize ?? 100 },
  secrets: { token: opts.token ?? double.token },
  binding: { options: opts.internalNotes === undefined ? {} : { internalNotes: opts.internalNotes }, ...(opts.users ? { users: opts.users } : {}) },
});

async function pull(client: ConnectorClient, cursor: Json | null): Promise<PullPage[]> {
  const pages: PullPage[] = [];
  for await (const page of client.pull(project, cursor)) pages.push(page);
  return pages;
}

describe('GitLab connector', () => {
  it('lists every issue once by keyset pages ordered by updated_at, then asks only for what changed', async () => {
    double.seed(project, 25);
    const client = connect({ pageSize: 10 });
    const pages = await pull(client, null);
    expect(pages.flatMap((p) => p.items.map((i) => i.remoteId))).toEqual(Array.from({ length: 25 }, (_, i) => String(i + 1)));
    const listing = double.log.filter((l) => l.startsWith('GET /api/v4/projects/acme%2Fplatform%2Fwidgets/issues?'));
    expect(listing[0]).toContain('pagination=keyset');
    expect(listing.slice(1).every((l) => l.includes('cursor=') || l.includes('updated_after='))).toBe(true);
    double.edit(project, '7', { title: 'Renamed by bob' });
    const before = double.log.length;
    const again = await pull(client, pages.at(-1)!.watermark);
    expect(again.flatMap((p) => p.items).find((i) => i.remoteId === '7')?.fields.title).toBe('Renamed by bob');
    // The next pull asks from the watermark (the newest update seen, less the overlap), not from the start.
    expect(double.log[before]).toMatch(/[?&]updated_after=20\d\d-/);
  });

  it('reads by page number where the instance refuses keyset pagination (405), and still lists everything once', async () => {
    await double.close();
    await start({ keyset: false });
    double.seed(project, 23);
    const pages = await pull(connect({ pageSize: 10 }), null);
    expect(pages.flatMap((p) => p.items.map((i) => i.remoteId))).toHaveLength(23);
    expect(new Set(pages.flatMap((p) => p.items.map((i) => i.remoteId))).size).toBe(23);
    expect(double.log.some((l) => l.includes('pagination=keyset'))).toBe(true);
    expect(double.log.some((l) => /[?&]page=2/.test(l))).toBe(true);
  });

  it('works with a self-managed instance under a relative URL root: every request, keyset pages included, stays under it', async () => {
    await double.close();
    await start({ relativeRoot: '/gitlab' });
    expect(double.url).toMatch(/\/gitlab$/);
    double.seed(project, 15);
    const client = connect({ pageSize: 10, baseUrl: `${double.url}/` });
    expect((await client.testConnection()).ok).toBe(true);
    const pages = await pull(client, null);
    expect(pages.flatMap((p) => p.items.map((i) => i.remoteId))).toHaveLength(15);
    const created = await capability(client, 'writer', 'gitlab').createItem(project, {
      marker: 'tb-root-1', fields: { title: 'Under a root', description: 'x', status: 'open', closed: false, priority: null, assignee: null, labels: [], customFields: {} },
    });
    await capability(client, 'comments', 'gitlab').addComment(project, created.remoteId, 'Noted');
    // The second keyset page followed the Link header GitLab gave, which names the root too.
    expect(double.log.filter((l) => l.includes('cursor='))).not.toHaveLength(0);
    expect(double.log.filter((l) => !l.startsWith('GET /gitlab/api/v4/') && !/^(POST|PUT) \/gitlab\/api\/v4\//.test(l))).toEqual([]);
  });

  it('maps state, labels, assignee, milestone and weight both ways, and keeps the create marker hidden', async () => {
    double.milestone(project, 'v2.0');
    const writer = capability(connect(), 'writer', 'gitlab');
    const created = await writer.createItem(project, {
      marker: 'tb-1234-abcd',
      fields: {
        title: 'Checkout fails', description: 'Steps:\n\n1. pay', status: 'opened', closed: false, priority: null, assignee: 'alice',
        labels: ['bug', 'severity::high'], customFields: { Milestone: 'v2.0', Weight: '3' },
      },
    });
    expect(created.fields).toMatchObject({ title: 'Checkout fails', description: 'Steps:\n\n1. pay', status: 'opened', closed: false, assignee: 'alice', labels: ['bug', 'severity::high'], customFields: { Milestone: 'v2.0', Weight: '3' } });
    expect(created.marker).toBe('tb-1234-abcd');
    expect(double.issue(project, created.remoteId)?.description).toContain('<!-- trackbridge:tb-1234-abcd -->');

    // A scoped label replaces the other label of its scope, as GitLab Premium does.
    const updated = await writer.updateItem(project, created.remoteId, { labels: ['bug', 'severity::high', 'severity::low'], closed: true, status: 'closed', customFields: { Weight: null, Milestone: null }, description: 'Steps:\n\n1. pay\n2. fail' }, created.version);
    expect(updated.fields).toMatchObject({ status: 'closed', closed: true, labels: ['bug', 'severity::low'], customFields: { Milestone: null, Weight: null } });
    expect(double.issue(project, created.remoteId)?.description).toBe('Steps:\n\n1. pay\n2. fail\n\n<!-- trackbridge:tb-1234-abcd -->');
    expect(updated.fields.description).toBe('Steps:\n\n1. pay\n2. fail');

    const found = await writer.findByMarker(project, 'tb-1234-abcd');
    expect(found?.remoteId).toBe(created.remoteId);
  });

  it('leaves out an assignee or milestone GitLab does not have, with a warning, instead of failing the write', async () => {
    const writer = capability(connect(), 'writer', 'gitlab');
    const created = await writer.createItem(project, {
      marker: 'tb-1-x',
      fields: { title: 'T', description: '', status: 'opened', closed: false, priority: null, assignee: 'nobody', labels: [], customFields: { Milestone: 'v9' } },
    });
    expect(created.fields.assignee).toBeNull();
    expect(created.warnings).toEqual([
      'GitLab has no user "nobody": the assignee was not set',
      'GitLab project acme/platform/widgets has no milestone "v9": the milestone was not set',
    ]);
  });

  it('pulls user notes as comments: never system notes, and internal notes only when the binding asks', async () => {
    const [iid] = double.seed(project, 1) as [string];
    double.edit(project, iid, { labels: ['bug'] });
    double.note(project, iid, 'Seen on staging too');
    double.note(project, iid, 'Customer is ACME, contract 42', { internal: true });
    expect(double.notes(project, iid).filter((n) => n.system)).toHaveLength(1);
    expect((await connect().listComments(project, iid)).map((c) => c.body)).toEqual(['Seen on staging too']);
    expect((await connect({ internalNotes: true }).listComments(project, iid)).map((c) => c.body)).toEqual(['Seen on staging too', 'Customer is ACME, contract 42']);
  });

  it('adds and edits notes, and closes an issue it may not delete', async () => {
    const [iid] = double.seed(project, 1) as [string];
    const client = connect();
    const comments = capability(client, 'comments', 'gitlab');
    const note = await comments.addComment(project, iid, 'From the hub');
    const edited = await comments.updateComment!(project, iid, note.remoteId, 'From the hub, edited');
    expect(edited.body).toBe('From the hub, edited');
    await capability(client, 'writer', 'gitlab').deleteItem!(project, iid);
    expect(double.issue(project, iid)?.state).toBe('closed');
    await capability(connect({ token: double.ownerToken }), 'writer', 'gitlab').deleteItem!(project, iid);
    expect(double.issue(project, iid)).toBeUndefined();
  });

  it("renames mentions through the binding's user map both ways, in descriptions and notes, and leaves code, links and the marker alone", async () => {
    // The hub's alice is alice.smith on GitLab; bob is not in the map.
    const client = connect({ users: [{ hub: 'alice', remote: 'alice.smith' }] });
    const writer = capability(client, 'writer', 'gitlab');
    const description = 'Ask @alice, then @bob.\n\nNot `@alice` in code, not [@alice](https://example.com).';
    const created = await writer.createItem(project, {
      marker: 'tb-mention-1', fields: { title: 'Mentions', description, status: 'open', closed: false, priority: null, assignee: null, labels: [], customFields: {} },
    });
    const stored = double.issue(project, created.remoteId)!.description!;
    expect(stored.startsWith('Ask @alice.smith, then @bob.\n\nNot `@alice` in code, not [@alice](https://example.com).')).toBe(true);
    expect(stored).toContain('<!-- trackbridge:tb-mention-1');
    expect(created.fields.description).toBe(description);

    await writer.updateItem(project, created.remoteId, { description: 'Over to @alice.' }, created.version);
    expect(double.issue(project, created.remoteId)!.description!.startsWith('Over to @alice.smith.')).toBe(true);

    const comments = capability(client, 'comments', 'gitlab');
    const note = await comments.addComment(project, created.remoteId, 'Thanks @alice');
    expect(note.body).toBe('Thanks @alice');
    expect(double.notes(project, created.remoteId).at(-1)!.body).toBe('Thanks @alice.smith');
    // A GitLab user's note mentioning alice.smith reads as the hub's @alice.
    double.note(project, created.remoteId, '@alice.smith can you check? cc @carol');
    expect((await client.listComments(project, created.remoteId)).map((c) => c.body)).toContain('@alice can you check? cc @carol');
    // Without a user map, names pass as they are.
    expect((await connect().listComments(project, created.remoteId)).map((c) => c.body)).toContain('@alice.smith can you check? cc @carol');
  });

  it('raises a conflict when the issue changed since the version the push read', async () => {
    const [iid] = double.seed(project, 1) as [string];
    const client = connect();
    const before = await client.getItem(project, iid);
    double.edit(project, iid, { title: 'Bob was here' });
    await expect(capability(client, 'writer', 'gitlab').updateItem(project, iid, { title: 'Ours' }, before!.version)).rejects.toSatisfy(isConflictError);
  });

  it('says which credential failed, and lists projects by namespace', async () => {
    expect(await connect({ token: 'glpat-wrong' }).testConnection()).toMatchObject({ ok: false });
    await expect(connect({ token: 'glpat-wrong' }).getItem(project, '1')).rejects.toSatisfy(isAuthError);
    expect(await connect().testConnection()).toMatchObject({ ok: true, account: 'trackbridge-bot' });
    double.createProject('acme/tools');
    expect(await connect().listScopes()).toEqual([
      { group: 'acme', scopes: [{ id: 'acme/tools', name: 'tools', url: 'http://gitlab.test/acme/tools' }] },
      { group: 'acme/platform', scopes: [{ id: 'acme/platform/widgets', name: 'widgets', url: 'http://gitlab.test/acme/platform/widgets' }] },
    ]);
  });

  it('the double refuses what GitLab\'s contract does not declare: a misspelt parameter fails the request, and the test', async () => {
    const res = await fetch(`${double.url}/api/v4/projects/${encodeURIComponent(project)}/issues`, {
      method: 'POST',
      headers: { 'private-token': double.token, 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'x', assignee_username: 'alice' }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: '(request model) body field "assignee_username" is not declared' });
    const query = await fetch(`${double.url}/api/v4/projects/${encodeURIComponent(project)}/issues?updated_since=2026-01-01T00:00:00Z`, { headers: { 'private-token': double.token } });
    expect(query.status).toBe(400);
    expect(double.violations).toHaveLength(2);
    double.violations.length = 0;
  });
});
