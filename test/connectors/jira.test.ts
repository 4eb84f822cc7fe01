import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { connect } from '../../connectors/connect';
import { isPermanentError, isRateLimitedError } from '../../connectors/errors';
import { jira } from '../../connectors/jira';
import { chooseTransition } from '../../connectors/jira/transitions';
import type { ConnectorClient, Json, PullPage } from '../../connectors/types';
import { startJiraDouble, type Deployment, type JiraDouble } from '../support/jira-double';
import { client as scriptedClient, failure, NOW } from './scripted-http';

const logger = pino({ level: 'silent' });
let double: JiraDouble | undefined;
afterEach(async () => {
  await double?.close();
  double = undefined;
});

async function start(deployment: Deployment, opts: { lag?: number; realTime?: boolean } = {}) {
  double = await startJiraDouble({ deployment, searchLagMs: opts.lag ?? 0, ...(opts.realTime ? {} : { now: '2024-06-01T12:00:00Z' }) });
  double.createProject('WEB');
  return double;
}
const connectTo = (d: JiraDouble, config: Record<string, unknown> = {}): ConnectorClient =>
  connect(jira, { config: { baseUrl: d.url, deployment: d.deployment, overlapSeconds: 5, ...config }, secrets: d.secrets, logger });

async function pullAll(c: ConnectorClient, cursor: Json | null): Promise<PullPage[]> {
  const pages: PullPage[] = [];
  for await (const page of c.pull('WEB', cursor)) pages.push(page);
  return pages;
}
const ids = (pages: PullPage[]) => pages.flatMap((p) => p.items.map((i) => i.remoteId));

describe('Jira connection config', () => {
  it('refuses a credential that does not fit the deployment, naming the field', () => {
    const base = { baseUrl: 'https://acme.atlassian.net', overlapSeconds: 5 };
    expect(() => connect(jira, { config: { ...base, deployment: 'cloud' }, secrets: { personalAccessToken: 'pat' }, logger })).toThrow(/secrets\.apiToken: Jira Cloud needs email and apiToken/);
    expect(() => connect(jira, { config: { ...base, deployment: 'datacenter' }, secrets: { email: 'a@b.co', apiToken: 't' }, logger })).toThrow(/secrets\.personalAccessToken: Jira Data Center needs/);
    expect(jira.secretsSchema.safeParse({ email: 'not-an-email', apiToken: 't' }).success).toBe(false);
    expect(jira.http.auth.value({ email: 'a@b.co', apiToken: 't' })).toBe(`Basic ${Buffer.from('a@b.co:t').toString('base64')}`);
    expect(jira.http.auth.value({ personalAccessToken: 'pat' })).toBe('Bearer pat');
  });
});

describe.each(['cloud', 'datacenter'] as const)('Jira connector (%s)', (deployment) => {
  it('turns a transition whose screen requires fields into a permanent error naming them, and moves nothing', async () => {
    const d = await start(deployment);
    d.requireOnTransition('Done', ['resolution']);
    const [id = ''] = d.seed('WEB', 1);
    const c = connectTo(d);
    const error = await c.writer!.updateItem('WEB', id, { status: 'Done', title: 'Renamed' }).then(() => undefined, (e: unknown) => e);
    expect(isPermanentError(error)).toBe(true);
    expect(String((error as Error).message)).toMatch(/transition "Resolve" to "Done" requires fields on its screen: Resolution \(resolution\)/);
    expect(d.issue(id)?.status).toBe('To Do');
    expect(d.requests({ method: 'POST', path: /\/transitions$/ })).toHaveLength(0);
  });

  it('moves status by the transition whose target has the name, else by its category', async () => {
    const d = await start(deployment);
    const [id = ''] = d.seed('WEB', 1);
    const c = connectTo(d);
    expect((await c.writer!.updateItem('WEB', id, { status: 'In Progress' })).fields.status).toBe('In Progress');
    // No status is named "closed": `closed: true` reaches the Done category.
    const closed = await c.writer!.updateItem('WEB', id, { status: 'closed', closed: true });
    expect([closed.fields.status, closed.fields.closed]).toEqual(['Done', true]);
    expect(d.requests({ method: 'POST', path: /\/transitions$/ }).map((r) => r.body)).toEqual([{ transition: { id: '21' } }, { transition: { id: '31' } }]);
  });

  it('takes no transition for a generic "open"/"closed" when the issue is already of that kind (an In Progress issue stays)', async () => {
    const d = await start(deployment);
    const [id = ''] = d.seed('WEB', 1);
    const c = connectTo(d);
    // To Do offers no transition to itself: asking for one would be a dead letter.
    expect((await c.writer!.updateItem('WEB', id, { status: 'open', closed: false })).fields.status).toBe('To Do');
    d.edit(id, { status: 'In Progress' });
    expect((await c.writer!.updateItem('WEB', id, { status: 'open', closed: false, title: 'Renamed' })).fields).toMatchObject({ status: 'In Progress', title: 'Renamed' });
    d.edit(id, { status: 'Done' });
    expect((await c.writer!.updateItem('WEB', id, { status: 'closed', closed: true })).fields.status).toBe('Done');
    expect(d.requests({ method: 'POST', path: /\/transitions$/ })).toHaveLength(0);
    // Of the other kind, it moves.
    expect((await c.writer!.updateItem('WEB', id, { status: 'open', closed: false })).fields).toMatchObject({ status: 'To Do', closed: false });
  });

  it('creates a generic "open" issue in its initial status, with no transition', async () => {
    const d = await start(deployment);
    const c = connectTo(d);
    const made = await c.writer!.createItem('WEB', { marker: 'hub-7', fields: { title: 'T', description: '', status: 'open', closed: false, priority: null, assignee: null, labels: [], customFields: {} } });
    expect(made.fields.status).toBe('To Do');
    expect(d.requests({ method: 'POST', path: /\/transitions$/ })).toHaveLength(0);
  });

  it('still answers a create whose status the workflow refuses: the issue exists, so failing would duplicate it (I1)', async () => {
    const d = await start(deployment);
    d.requireOnTransition('Done', ['resolution']);
    const c = connectTo(d);
    const made = await c.writer!.createItem('WEB', { marker: 'hub-8', fields: { title: 'T', description: '', status: 'Done', closed: true, priority: null, assignee: null, labels: [], customFields: {} } });
    expect(d.issuesOf('WEB').map((i) => [i.id, i.status])).toEqual([[made.remoteId, 'To Do']]);
    expect(made.fields).toMatchObject({ status: 'To Do', closed: false });
  });

  it('keeps the marker in an entity property, never in the description, and finds it by JQL', async () => {
    const d = await start(deployment);
    const c = connectTo(d);
    const made = await c.writer!.createItem('WEB', { marker: 'hub-42', fields: { title: 'T', description: 'Body', status: 'To Do', closed: false, priority: null, assignee: null, labels: [], customFields: { Team: 'Core' } } });
    expect(d.issue(made.remoteId)?.properties).toEqual({ trackbridge: { marker: 'hub-42' } });
    expect(JSON.stringify(d.issue(made.remoteId)?.description)).not.toContain('hub-42');
    expect(made.fields.customFields).toEqual({ Team: 'Core' });
    expect((await connectTo(d).writer!.findByMarker('WEB', 'hub-42'))?.remoteId).toBe(made.remoteId);
  });

  it('pulls with JQL on epoch milliseconds through the deployment\'s search, never the retired one', async () => {
    const d = await start(deployment);
    d.seed('WEB', 3);
    const pages = await pullAll(connectTo(d), null);
    expect(ids(pages)).toHaveLength(3);
    d.advanceTime(60_000);
    const [late = ''] = d.seed('WEB', 1);
    d.resetRequests();
    const next = await pullAll(connectTo(d), pages.at(-1)?.watermark ?? null);
    expect(ids(next)).toContain(late);
    const searches = d.requests({ path: /\/search/ });
    expect(searches.length).toBeGreaterThan(0);
    expect(searches.every((r) => r.path === (deployment === 'cloud' ? '/rest/api/3/search/jql' : '/rest/api/2/search'))).toBe(true);
    expect(String(searches[0]?.query.jql)).toMatch(/^project = "WEB" AND updated >= \d{13} ORDER BY updated ASC/);
  });
});

describe('Jira search lag', () => {
  it('finds a just-created issue by its marker while search does not show it yet, by reading the keys after the newest it shows', async () => {
    const d = await start('cloud', { lag: 5000 });
    d.seed('WEB', 2);
    d.advanceTime(5000);
    const made = await connectTo(d).writer!.createItem('WEB', { marker: 'hub-7', fields: { title: 'Lagging', description: '', status: 'To Do', closed: false, priority: null, assignee: null, labels: [], customFields: {} } });
    d.seed('WEB', 1); // a later issue, not indexed either
    const c = connectTo(d);
    expect((await c.writer!.findByMarker('WEB', 'hub-7'))?.remoteId).toBe(made.remoteId);
    expect(await c.writer!.findByMarker('WEB', 'hub-never')).toBeNull();
  });


  it('never moves the watermark past what search returned: a write search has not shown yet comes in the next pull', async () => {
    const d = await start('cloud', { lag: 3000 });
    const [first = ''] = d.seed('WEB', 1);
    d.advanceTime(5000);
    const [hidden = ''] = d.seed('WEB', 1); // written now, indexed in 3 s
    const c = connectTo(d);
    const pages = await pullAll(c, null);
    expect(ids(pages)).toEqual([first]);
    const mark = pages.at(-1)?.watermark as { since: string } | null;
    const firstUpdated = Date.parse(pages[0]?.items[0]?.updatedAt ?? '');
    // The watermark comes from the newest `updated` returned, less the overlap, not from any clock.
    expect(Date.parse(mark?.since ?? '')).toBeLessThanOrEqual(firstUpdated);
    d.advanceTime(3000);
    const next = await pullAll(connectTo(d), mark);
    expect(ids(next)).toContain(hidden);
  });
});

describe('Jira rate limits', () => {
  it('retries a 429 after its Retry-After', async () => {
    const d = await start('cloud', { realTime: true });
    d.rateLimit({ retryAfter: 1, path: /\/myself$/ });
    const started = Date.now();
    const result = await connectTo(d).testConnection();
    expect(result.ok).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(d.requests({ path: /\/myself$/ }).map((r) => r.status)).toEqual([429, 200]);
  });

  it('waits until X-RateLimit-Reset (an ISO instant) when there is no Retry-After, and gives a long wait back as rate limited', async () => {
    const d = await start('cloud', { realTime: true });
    d.rateLimit({ retryAfter: null, resetInMs: 1200, path: /\/field$/ });
    const started = Date.now();
    await pullAll(connectTo(d), null);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    d.rateLimit({ retryAfter: null, resetInMs: 600_000, path: /\/field$/ });
    const error = await failure(pullAll(connectTo(d), null));
    expect(isRateLimitedError(error)).toBe(true);
    expect(error.retryAfterMs).toBeGreaterThan(590_000);
  });

  it('backs off with jitter when a 429 says not how long', async () => {
    const { http, sleeps, calls } = scriptedClient([{ status: 429 }, { status: 429 }, { status: 200, body: { ok: true } }], {
      retry: { rateLimitBackoff: { baseMs: 1000, maxMs: 30_000 } }, random: () => 0.5,
    });
    expect(await http.json({ path: '/x' })).toEqual({ ok: true });
    expect(calls).toHaveLength(3);
    // Full jitter: random() × base·2^n, here half of 1 s, then half of 2 s — not the fixed 60 s default.
    expect(sleeps).toEqual([500, 1000]);
  });

  it('holds further writes to an issue whose per-issue write budget is spent, and only to that issue', async () => {
    const spent = { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': new Date(NOW + 20_000).toISOString(), 'ratelimit-reason': 'jira-per-issue-on-write' };
    const { http, sleeps } = scriptedClient([{ status: 204, headers: spent }, { status: 204 }, { status: 204 }]);
    await http.json({ method: 'PUT', path: '/issue/1', body: {}, budget: 'issue:1' });
    await http.json({ method: 'PUT', path: '/issue/2', body: {}, budget: 'issue:2' });
    expect(sleeps).toEqual([]);
    await http.json({ method: 'PUT', path: '/issue/1', body: {}, budget: 'issue:1' });
    expect(sleeps).toEqual([20_000]);
  });
});

describe('Jira status writes: a hub status Jira does not have', () => {
  const status = (name: string, key: 'new' | 'indeterminate' | 'done') => ({ id: name, name, statusCategory: { key, name: key === 'new' ? 'To Do' : key === 'done' ? 'Done' : 'In Progress' } });
  const transitions = [
    { id: '11', name: 'Start', to: status('In Progress', 'indeterminate') },
    { id: '31', name: 'Finish', to: status('Done', 'done') },
  ] as Parameters<typeof chooseTransition>[2];

  it('leaves the issue where it is when `closed` already agrees with its status category', () => {
    // A story from another tracker ("open", not closed) created in Jira as "To Do": nothing to move.
    expect(chooseTransition('K-1', status('To Do', 'new'), transitions, { status: 'open', closed: false })).toBeNull();
    expect(chooseTransition('K-1', status('Done', 'done'), transitions, { status: 'closed', closed: true })).toBeNull();
  });

  it('moves by category when `closed` disagrees, and by name when Jira has the name', () => {
    expect(chooseTransition('K-1', status('To Do', 'new'), transitions, { status: 'closed', closed: true })?.id).toBe('31');
    expect(chooseTransition('K-1', status('To Do', 'new'), transitions, { status: 'In Progress', closed: false })?.id).toBe('11');
  });
});
