import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { connect } from '../../connectors/connect';
import { isPermanentError, isRateLimitedError, isTransientError } from '../../connectors/errors';
import { jira } from '../../connectors/jira';
import { chooseTransition } from '../../connectors/jira/transitions';
import type { BindingContext, ConnectorClient, Json, PullPage } from '../../connectors/types';
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
const connectTo = (d: JiraDouble, config: Record<string, unknown> = {}, binding?: Partial<BindingContext>): ConnectorClient =>
  connect(jira, {
    config: { baseUrl: d.url, deployment: d.deployment, overlapSeconds: 5, ...config }, secrets: d.secrets, logger,
    ...(binding ? { binding: { id: 'b-1', users: [], fields: ['title', 'description', 'status', 'priority', 'assignee', 'labels', 'customFields'], options: {}, ...binding } } : {}),
  });

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

  it('keeps the marker in an entity property, never in the description, and finds it by reading the property by key, not by JQL', async () => {
    const d = await start(deployment);
    const c = connectTo(d);
    const made = await c.writer!.createItem('WEB', { marker: 'hub-42', fields: { title: 'T', description: 'Body', status: 'To Do', closed: false, priority: null, assignee: null, labels: [], customFields: { Team: 'Core' } } });
    expect(d.issue(made.remoteId)?.properties).toEqual({ trackbridge: { marker: 'hub-42' } });
    expect(JSON.stringify(d.issue(made.remoteId)?.description)).not.toContain('hub-42');
    expect(made.fields.customFields).toEqual({ Team: 'Core' });
    d.resetRequests();
    expect((await connectTo(d).writer!.findByMarker('WEB', 'hub-42'))?.remoteId).toBe(made.remoteId);
    // The double refuses JQL on an unindexed property (as Jira does for a REST client): none was sent.
    expect(d.requests().filter((r) => /issue\.property/.test(JSON.stringify(r.query)) || r.status >= 400 && r.status !== 404)).toEqual([]);
  });

  it('writes a label with spaces as Jira takes it (dashes), with a warning, and reads it back as the hub had it', async () => {
    const d = await start(deployment);
    const c = connectTo(d);
    const made = await c.writer!.createItem('WEB', { marker: 'hub-9', fields: { title: 'T', description: '', status: 'To Do', closed: false, priority: null, assignee: null, labels: ['bug', 'good first issue'], customFields: {} } });
    expect(d.issue(made.remoteId)?.labels.sort()).toEqual(['bug', 'good-first-issue']);
    expect(made.fields.labels).toEqual(['bug', 'good first issue']);
    expect(made.warnings).toEqual(['Jira labels cannot contain spaces: "good first issue" is written as "good-first-issue" and read back as "good first issue"']);
    // A pull, a read by key and an edit all give the hub's form back.
    expect((await pullAll(connectTo(d), null)).flatMap((p) => p.items).map((i) => i.fields.labels)).toEqual([['bug', 'good first issue']]);
    const edited = await c.writer!.updateItem('WEB', made.remoteId, { labels: ['good first issue', 'help  wanted'] });
    expect(d.issue(made.remoteId)?.labels.sort()).toEqual(['good-first-issue', 'help-wanted']);
    expect(edited.fields.labels).toEqual(['good first issue', 'help  wanted']);
    expect((await connectTo(d).getItem('WEB', made.remoteId))?.fields.labels).toEqual(['good first issue', 'help  wanted']);
    // A label another user typed with dashes stays as typed.
    d.edit(made.remoteId, { labels: ['good-first-issue', 'needs-triage'] });
    expect((await connectTo(d).getItem('WEB', made.remoteId))?.fields.labels).toEqual(['good first issue', 'needs-triage']);
    expect(d.requests({ status: 400 })).toEqual([]);
  });

  it('refuses a label with spaces as a permanent error naming it when the policy says so', async () => {
    const d = await start(deployment);
    const error = await connectTo(d, { labelSpaces: 'refuse' }).writer!.createItem('WEB', { marker: 'hub-10', fields: { title: 'T', description: '', status: 'To Do', closed: false, priority: null, assignee: null, labels: ['good first issue'], customFields: {} } }).then(() => undefined, (e: unknown) => e);
    expect(isPermanentError(error)).toBe(true);
    expect(String((error as Error).message)).toMatch(/Jira labels cannot contain spaces: "good first issue"/);
    expect(d.issuesOf('WEB')).toEqual([]);
  });

  it("follows the binding's label policy over the connection's (rules options.labelSpaces)", async () => {
    const d = await start(deployment);
    const fields = { title: 'T', description: '', status: 'To Do', closed: false, priority: null, assignee: null, labels: ['good first issue'], customFields: {} };
    const underscored = await connectTo(d, { labelSpaces: 'refuse' }, { options: { labelSpaces: 'underscore' } }).writer!.createItem('WEB', { marker: 'hub-11', fields });
    expect(d.issue(underscored.remoteId)?.labels).toEqual(['good_first_issue']);
    expect(underscored.fields.labels).toEqual(['good first issue']);
    const refused = await connectTo(d, {}, { options: { labelSpaces: 'refuse' } }).writer!.createItem('WEB', { marker: 'hub-12', fields }).then(() => undefined, (e: unknown) => e);
    expect(String((refused as Error).message)).toMatch(/Jira labels cannot contain spaces: "good first issue"/);
    expect(d.issuesOf('WEB')).toHaveLength(1);
  });

  it("writes and reads mentions through the binding's user map, in descriptions and comments", async () => {
    const d = await start(deployment);
    const me = deployment === 'cloud' ? '5b10ac8d82e05b22cc7d4ef5' : 'sync-bot';
    const c = connectTo(d, {}, { users: [{ hub: 'alice', remote: me }] });
    const made = await c.writer!.createItem('WEB', { marker: 'hub-13', fields: { title: 'T', description: 'Ask @alice, not @bob.', status: 'To Do', closed: false, priority: null, assignee: null, labels: [], customFields: {} } });
    const stored = d.issue(made.remoteId)?.description;
    if (deployment === 'cloud') {
      const text = JSON.stringify(stored);
      expect(text).toContain(`{"type":"mention","attrs":{"id":"${me}"`);
      expect(text).toContain('not @bob.');
    } else {
      expect(stored).toBe(`Ask [~${me}], not @bob.`);
    }
    expect(made.fields.description).toBe('Ask @alice, not @bob.');
    const comment = await c.comments!.addComment('WEB', made.remoteId, 'Thanks @alice');
    expect(comment.body).toBe('Thanks @alice');
    expect(JSON.stringify(d.requests({ method: 'POST', path: /\/comment$/ })[0]?.body)).toContain(deployment === 'cloud' ? `"id":"${me}"` : `[~${me}]`);
  });

  describe('custom field types and screens', () => {
    const me = deployment === 'cloud' ? '5b10ac8d82e05b22cc7d4ef5' : 'sync-bot';
    const setup = async () => {
      const d = await start(deployment);
      const ids = {
        severity: d.addCustomField('Severity', 'select', ['Minor', 'Major']),
        components: d.addCustomField('Components', 'multiselect', ['API', 'UI']),
        points: d.addCustomField('Points', 'number'),
        due: d.addCustomField('Due', 'date'),
        reviewer: d.addCustomField('Reviewer', 'user'),
        notes: d.addCustomField('Notes', 'textarea'),
        area: d.addCustomField('Area', 'cascading', [{ value: 'Web', children: ['Checkout', 'Search'] }]),
      };
      return { d, ids, c: connectTo(d, { issueType: 'Bug' }) };
    };
    const item = (customFields: Record<string, string | null>, extra: Partial<{ priority: string | null; labels: string[] }> = {}) =>
      ({ marker: `hub-${Math.random().toString(36).slice(2)}`, fields: { title: 'Typed', description: '', status: 'To Do', closed: false, priority: null, assignee: null, labels: [], customFields, ...extra } });
    const typed = { Severity: 'Major', Components: 'API, UI', Points: '3.5', Due: '2024-07-01', Reviewer: me, Notes: 'Line one\n\nLine two', Area: 'Web / Checkout', Team: 'Core' };

    it('writes each custom field in the shape its type takes, and reads it back as written', async () => {
      const { d, ids, c } = await setup();
      const made = await c.writer!.createItem('WEB', item(typed));
      expect(made.fields.customFields).toEqual(typed);
      const sent = d.requests({ method: 'POST', path: /\/issue$/ })[0]?.body as { fields: Record<string, unknown> };
      expect(sent.fields[ids.severity]).toEqual({ value: 'Major' });
      expect(sent.fields[ids.components]).toEqual([{ value: 'API' }, { value: 'UI' }]);
      expect(sent.fields[ids.points]).toBe(3.5);
      expect(sent.fields[ids.reviewer]).toEqual(deployment === 'cloud' ? { accountId: me } : { name: me });
      expect(sent.fields[ids.area]).toEqual({ value: 'Web', child: { value: 'Checkout' } });
      expect(typeof sent.fields[ids.notes]).toBe(deployment === 'cloud' ? 'object' : 'string');
      const edited = await c.writer!.updateItem('WEB', made.remoteId, { customFields: { Severity: 'Minor', Points: '2', Area: 'Web / Search' } });
      expect(edited.fields.customFields).toMatchObject({ Severity: 'Minor', Points: '2', Area: 'Web / Search' });
      // createmeta and editmeta are read once per project and issue type.
      await c.writer!.updateItem('WEB', made.remoteId, { customFields: { Severity: 'Major' } });
      expect(d.requests({ path: /\/editmeta$/ })).toHaveLength(1);
      expect(d.requests({ path: /\/createmeta\/WEB\/issuetypes\/10004$/ })).toHaveLength(1);
      expect(d.requests({ status: 400 })).toEqual([]);
    });

    it("asks a search and a read for the custom fields the binding's rules use, not every one", async () => {
      const { d, ids } = await setup();
      const made = await connectTo(d, { issueType: 'Bug' }).writer!.createItem('WEB', item({ Severity: 'Major', Points: '3', Team: 'Core' }));
      d.resetRequests();
      const c = connectTo(d, { issueType: 'Bug' }, { fields: ['title', 'status', 'customFields.Severity', '/fields/components'] });
      const [listed] = (await pullAll(c, null)).flatMap((p) => p.items);
      expect(listed?.fields.customFields).toEqual({ Severity: 'Major' });
      expect((await c.getItem('WEB', made.remoteId))?.fields.customFields).toEqual({ Severity: 'Major' });
      const asked = d.requests().filter((r) => /\/search|\/issue\/[^/]+$/.test(r.path)).map((r) => (r.query.fields ?? (r.body as { fields?: string[] } | null)?.fields ?? '').toString());
      expect(asked.length).toBeGreaterThanOrEqual(2);
      for (const fields of asked) {
        expect(fields.split(',')).toContain(ids.severity);
        expect(fields.split(',')).toContain('components');
        expect(fields).not.toContain(ids.points);
        expect(fields).not.toContain('customfield_10050');
      }
      // The whole-map rule (customFields) asks for all of them.
      const all = connectTo(d, { issueType: 'Bug' }, { fields: ['customFields'] });
      expect((await all.getItem('WEB', made.remoteId))?.fields.customFields).toMatchObject({ Severity: 'Major', Points: '3', Team: 'Core' });
    });

    it('leaves out a custom field this Jira does not have, with a warning, and writes the rest (another tracker\'s field in the hub map)', async () => {
      const { d, c } = await setup();
      d.setAdmin(true); // notifyUsers=false is allowed: the only warning is the unknown field's
      const made = await c.writer!.createItem('WEB', item({ Severity: 'Major', 'Found in build': '1.2' }));
      expect(made.warnings).toEqual(['Jira has no custom field named "Found in build": left out']);
      expect(made.fields.customFields.Severity).toBe('Major');
      const edited = await c.writer!.updateItem('WEB', made.remoteId, { customFields: { Severity: 'Minor', 'Found in build': '1.3' } });
      expect(edited.warnings).toEqual(['Jira has no custom field named "Found in build": left out']);
      expect(edited.fields.customFields.Severity).toBe('Minor');
      expect(d.requests({ status: 400 })).toEqual([]);
    });

    it('leaves out a field the screen lacks with a binding warning, and writes the rest', async () => {
      const { d, c } = await setup();
      d.setAdmin(true); // notifyUsers=false is allowed: the only warning is the screen's
      d.screen('WEB', 'Bug', { notOnEdit: ['priority'], notOnCreate: ['customfield_10050'] });
      const made = await c.writer!.createItem('WEB', item({ Team: 'Core', Severity: 'Minor' }));
      expect(made.warnings).toEqual(['Team is not on the create screen of Bug in WEB']);
      const edited = await c.writer!.updateItem('WEB', made.remoteId, { priority: 'High', title: 'Renamed' });
      expect(edited.warnings).toEqual(['priority is not on the edit screen of Bug in WEB']);
      expect([edited.fields.title, edited.fields.priority, edited.fields.customFields.Severity]).toEqual(['Renamed', 'Medium', 'Minor']);
      expect(d.requests({ status: 400 })).toEqual([]);
    });

    it('refuses a create missing a required field as a permanent error naming it; a value its type cannot take too', async () => {
      const { d, ids, c } = await setup();
      d.screen('WEB', 'Bug', { required: [ids.severity] });
      const missing = await c.writer!.createItem('WEB', item({ Team: 'Core' })).then(() => undefined, (e: unknown) => e);
      expect(isPermanentError(missing)).toBe(true);
      expect(String((missing as Error).message)).toBe(`Jira WEB: the create screen of Bug requires Severity (${ids.severity}), which this create does not fill`);
      const bad = await c.writer!.createItem('WEB', item({ Severity: 'Minor', Points: 'many' })).then(() => undefined, (e: unknown) => e);
      expect(String((bad as Error).message)).toBe(`Jira field Points (${ids.points}) takes a number, not "many"`);
      expect(d.issuesOf('WEB')).toEqual([]);
    });
  });

  it('sends edits with notifyUsers=false; refused (no admin permission), it edits without it once, warns, and remembers', async () => {
    const d = await start(deployment);
    const [id = ''] = d.seed('WEB', 1);
    const c = connectTo(d);
    const first = await c.writer!.updateItem('WEB', id, { title: 'One' });
    expect(first.fields.title).toBe('One');
    expect(first.warnings).toEqual([expect.stringMatching(/^Jira refused notifyUsers=false/)]);
    await c.writer!.updateItem('WEB', id, { title: 'Two' });
    expect(d.requests({ method: 'PUT', path: /\/issue\/\d+$/ }).map((r) => [r.query.notifyUsers ?? 'default', r.status])).toEqual([['false', 403], ['default', 204], ['default', 204]]);
    // Remembered beyond one client (for an hour): a new one does not ask again.
    d.resetRequests();
    await connectTo(d).writer!.updateItem('WEB', id, { title: 'Three' });
    expect(d.requests({ method: 'PUT', path: /\/issue\/\d+$/ }).map((r) => [r.query.notifyUsers ?? 'default', r.status])).toEqual([['default', 204]]);
    // Where the user administers the project, edits go quietly.
    await d.close();
    const admin = await start(deployment);
    admin.setAdmin(true);
    const [other = ''] = admin.seed('WEB', 1);
    expect((await connectTo(admin).writer!.updateItem('WEB', other, { title: 'Quiet' })).warnings).toBeUndefined();
    expect(admin.requests({ method: 'PUT', path: /\/issue\/\d+$/ }).map((r) => [r.query.notifyUsers, r.status])).toEqual([['false', 204]]);
  });

  it('never sends an empty comment (Jira refuses one): a permanent error instead, and no request', async () => {
    const d = await start(deployment);
    const [id = ''] = d.seed('WEB', 1);
    d.resetRequests();
    const error = await connectTo(d).comments!.addComment('WEB', id, '  ').then(() => undefined, (e: unknown) => e);
    expect(isPermanentError(error)).toBe(true);
    expect(d.requests({ method: 'POST' })).toEqual([]);
  });

  it('reports from the changelog what another user changed since our read, and not our own writes (C1)', async () => {
    const d = await start(deployment);
    const [id = ''] = d.seed('WEB', 1);
    const c = connectTo(d);
    const read = (await c.getItem('WEB', id))!;
    d.advanceTime(1000);
    d.edit(id, { summary: 'Theirs', priority: 'High', labels: ['x'] });
    await c.writer!.updateItem('WEB', id, { title: 'Ours' });
    expect(await c.writer!.editsSince('WEB', id, read, { title: 'Ours', priority: 'Low' })).toEqual({ title: 'Theirs', priority: 'High' });
    const later = (await c.getItem('WEB', id))!;
    d.advanceTime(1000);
    await c.writer!.updateItem('WEB', id, { title: 'Ours again', labels: ['y'] });
    expect(await c.writer!.editsSince('WEB', id, later, { title: 'Ours again', labels: ['y'] })).toEqual({});
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
  const fields = (title: string) => ({ title, description: '', status: 'To Do', closed: false, priority: null, assignee: null, labels: [], customFields: {} });

  it('finds a just-created issue by its marker while search does not show it yet, by reading the keys after the newest it shows', async () => {
    const d = await start('cloud', { lag: 5000 });
    d.seed('WEB', 2);
    d.advanceTime(5000);
    const made = await connectTo(d).writer!.createItem('WEB', { marker: 'hub-7', fields: fields('Lagging') });
    d.seed('WEB', 1); // a later issue, not indexed either
    const c = connectTo(d);
    expect((await c.writer!.findByMarker('WEB', 'hub-7'))?.remoteId).toBe(made.remoteId);
    expect(await c.writer!.findByMarker('WEB', 'hub-never')).toBeNull();
  });

  describe.each(['cloud', 'datacenter'] as const)('adoption on %s with no property index and a 60 s search lag (I1)', (deployment) => {
    const LAG = 60_000;
    const begin = async () => {
      // The double's clock starts at ours: the connector bounds the lag by its own clock, the double's search by its own.
      double = await startJiraDouble({ deployment, searchLagMs: LAG, now: Date.now() });
      double.createProject('WEB');
      return double;
    };
    const config = { searchLagSeconds: 60 };

    it('finds the crashed create through search once it shows it, reading the marker by key on our recent creates', async () => {
      const d = await begin();
      const since = d.now().toISOString();
      const made = await connectTo(d, config).writer!.createItem('WEB', { marker: 'hub-1', fields: fields('Crashed') });
      await connectTo(d, config).writer!.createItem('WEB', { marker: 'hub-2', fields: fields('Another') });
      d.seed('WEB', 2); // by another user: not candidates
      d.advanceTime(LAG);
      d.resetRequests();
      const found = await connectTo(d, config).writer!.findByMarker('WEB', 'hub-1', { since, title: 'Crashed' });
      expect(found?.remoteId).toBe(made.remoteId);
      const searched = d.requests({ path: /\/search/ }).map((r) => r.query.jql ?? JSON.stringify(r.body));
      expect(searched[0]).toMatch(new RegExp(`^project = "WEB" AND creator = currentUser\\(\\) AND created >= \\d{13} ORDER BY created DESC$`));
      // The candidate with the title sent is read first, and that is the only property read.
      expect(d.requests({ path: /\/properties\// }).map((r) => r.path)).toEqual([`/rest/api/${deployment === 'cloud' ? 3 : 2}/issue/${made.remoteId}/properties/trackbridge`]);
    });

    it('finds it while search does not show it yet, by reading the keys after the newest one search shows', async () => {
      const d = await begin();
      d.seed('WEB', 2);
      d.advanceTime(LAG);
      const since = d.now().toISOString();
      const made = await connectTo(d, config).writer!.createItem('WEB', { marker: 'hub-3', fields: fields('Unindexed') });
      expect((await connectTo(d, config).writer!.findByMarker('WEB', 'hub-3', { since, title: 'Unindexed' }))?.remoteId).toBe(made.remoteId);
    });

    it('does not take a miss as final while search may still lag the attempt; after the lag bound, a miss is null', async () => {
      const d = await begin();
      d.seed('WEB', 2);
      d.advanceTime(LAG);
      // Three keys deleted right after the newest indexed issue: the probe by key stops before the crashed create.
      for (const id of d.seed('WEB', 3)) d.deleteIssue(id);
      const since = new Date().toISOString();
      await connectTo(d, config).writer!.createItem('WEB', { marker: 'hub-4', fields: fields('Behind a gap') });
      const error = await connectTo(d, config).writer!.findByMarker('WEB', 'hub-4', { since }).then(() => undefined, (e: unknown) => e);
      expect(isTransientError(error)).toBe(true);
      expect(String((error as Error).message)).toMatch(/search may not show a create from/);
      // Once search shows it, it is found; a marker never used is null once the bound has passed.
      d.advanceTime(LAG);
      expect((await connectTo(d, config).writer!.findByMarker('WEB', 'hub-4', { since }))?.fields.title).toBe('Behind a gap');
      expect(await connectTo(d, config).writer!.findByMarker('WEB', 'hub-none', { since: new Date(Date.now() - 61_000).toISOString() })).toBeNull();
    });
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
