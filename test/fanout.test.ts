import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalize, fromAdf, fromTextile, type AdfNode } from '../markup';
import { defaultFieldRules } from '../rules';
import { startGitHubDouble, type GitHubDouble } from './support/github-double';
import { startJiraDouble, type JiraDouble } from './support/jira-double';
import { createCustomField, createProject, editIssue, ensureRedmine, getIssue, type Redmine } from './support/redmine';
import { eventually } from './support/harness';
import { startStack, type Stack } from './support/scenario';
import { pushSettled } from './support/settle';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const REPO = 'octo/fanout';
/** How late the Jira double's search shows a write; a pull of Jira waits it out first, as a webhook-less poll would. */
const JIRA_LAG_MS = 1500;
const jiraSearchCaughtUp = () => new Promise((resolve) => setTimeout(resolve, JIRA_LAG_MS + 100));
/**
 * A select both Jira (a single-select custom field) and Redmine (a list custom field) have, with the same
 * options. GitHub has no custom fields: its binding carries it as a scoped label ("severity: High").
 */
const SEVERITY = 'Customer severity';
const SEVERITIES = ['Low', 'High', 'Critical'];

/** Every ADF node type (and mark) in a document, to check that formatting arrived as structure, not as characters. */
function adfKinds(node: AdfNode | null | undefined, out = new Set<string>()): Set<string> {
  if (!node) return out;
  out.add(node.type);
  for (const m of (node as AdfNode & { marks?: { type: string }[] }).marks ?? []) out.add(`mark:${m.type}`);
  for (const child of node.content ?? []) adfKinds(child, out);
  return out;
}

/**
 * Issue 13.4: one project bound to three trackers at once, Jira (double, Cloud: ADF) ↔ hub ↔ Redmine
 * (real, Textile) ↔ GitHub (double, markdown). An edit made on each side crosses to the other two once,
 * with its formatting as the target's own markup, and two more pull cycles on all three write nothing.
 * Issue 24: on the strict double with a search lag, a GitHub label with a space and a custom select
 * (Jira single-select ↔ hub ↔ Redmine list) travel and come back unchanged.
 */
describe('fan-out across three trackers: Jira ↔ hub ↔ Redmine ↔ GitHub, formatting intact, no echo', { timeout: 240_000 }, () => {
  let stack: Stack;
  let gh: GitHubDouble;
  let jira: JiraDouble;
  let redmine: Redmine;
  let jiraKey: string;
  /** The Jira select's field id (customfield_…) and the Redmine list field's id. */
  let severityJira: string;
  let severityRedmine: number;
  const b: Record<'github' | 'redmine' | 'jira', Json> = { github: {}, redmine: {}, jira: {} };
  let storyId: string;
  const ids = { github: 0, redmine: 0, jira: '' };

  const writes = {
    github: () => gh.requests().filter((r) => r.method !== 'GET').length,
    // Jira's JQL search is a POST too; it reads.
    jira: () => jira.requests().filter((r) => r.method !== 'GET' && !/\/search/.test(r.path)).length,
    redmine: async () => (await getIssue(redmine, ids.redmine, { include: 'journals' })).journals?.length ?? 0,
  };
  const snapshot = async () => ({ github: writes.github(), jira: writes.jira(), redmine: await writes.redmine() });
  const hub = async () => stack.get(`/stories/${storyId}`);
  const settled = async () => {
    for (const binding of Object.values(b)) await pushSettled(stack, binding.binding.id, storyId, 60_000);
  };
  /** A pull on every binding, each waited to its end, then every push settled. */
  const cycle = async () => {
    await jiraSearchCaughtUp();
    for (const binding of Object.values(b)) await stack.pullNow(binding.binding.id, 60_000);
    await settled();
  };
  /** What each remote holds now, read back into hub form. */
  const remoteTexts = async () => ({
    github: normalize((gh.getIssue(REPO, ids.github)?.body ?? '').replace(/\n*<!-- trackbridge:[^>]*-->\s*$/, '')),
    redmine: fromTextile(((await getIssue(redmine, ids.redmine)).description ?? '').replace(/\n*<!-- trackbridge:[^>]*-->\s*$/, '')),
    jira: fromAdf(jira.issue(ids.jira)?.description as AdfNode),
  });

  /** A GET on the Jira double's REST API, as the sync's user. */
  const jiraRest = async (path: string): Promise<Json> => {
    const secrets = jira.secrets as { email: string; apiToken: string };
    const res = await fetch(`${jira.url}/rest/api/3${path}`, { headers: { authorization: `Basic ${Buffer.from(`${secrets.email}:${secrets.apiToken}`).toString('base64')}`, accept: 'application/json' } });
    expect(res.status).toBe(200);
    return (await res.json()) as Json;
  };

  beforeAll(async () => {
    redmine = await ensureRedmine();
    const rmProject = (await createProject(redmine)).identifier;
    // Rails boots for this (seconds): it runs while the rest starts.
    const rmSeverity = createCustomField(redmine, { name: SEVERITY, format: 'list', possibleValues: SEVERITIES, project: rmProject });
    gh = await startGitHubDouble();
    gh.createRepo(REPO);
    // Jira as it is: search lags writes, no property index, and the sync user may send notifyUsers=false (docs/connectors/jira.md).
    jira = await startJiraDouble({ deployment: 'cloud', searchLagMs: JIRA_LAG_MS });
    jira.setAdmin(true);
    jiraKey = `F${randomBytes(3).toString('hex').toUpperCase().replace(/[0-9]/g, (d) => 'ABCDEFGHIJ'[Number(d)]!)}`;
    jira.createProject(jiraKey);
    severityJira = jira.addCustomField(SEVERITY, 'select', SEVERITIES);
    severityRedmine = (await rmSeverity).id;
    stack = await startStack();
    const project = await stack.post('/projects', { key: 'FAN', name: 'Fan-out' });
    const bindTo = async (connector: string, config: Json, secrets: Json, scope: string, rules?: Json) => {
      const connection = await stack.post('/connections', { connector, name: `${connector} fan-out`, config, secrets });
      const binding = await stack.post('/bindings', { projectId: project.id, connectionId: connection.id, scope, pullIntervalSeconds: 3600 });
      if (rules) {
        const res = await stack.api.call('PUT', `/bindings/${binding.id}/rules`, rules);
        if (res.status !== 200) throw new Error(`PUT rules → ${res.status}: ${await res.text()}`);
      }
      await stack.initialSync(binding.id, 60_000);
      return { connection, binding };
    };
    // Default rules on every binding: each carries its own custom fields by name (Jira's Team is not
    // Redmine's), and they meet on the one both have. Jira's binding writes labels its own way
    // (rules options.labelSpaces), over its connection's `refuse`.
    // GitHub has no custom fields: its binding carries the select as a scoped label, "severity: High".
    b.github = await bindTo('github', { baseUrl: gh.url, maxRequestsPerSecond: 100 }, { token: gh.token }, REPO, {
      fields: [...defaultFieldRules('github'), { hub: `customFields.${SEVERITY}`, remote: 'labels', prefix: 'severity: ', kind: 'two_way' }],
    });
    b.redmine = await bindTo('redmine', { baseUrl: redmine.url, maxRequestsPerSecond: 100, textFormatting: 'textile' }, { apiKey: redmine.apiKey }, rmProject);
    b.jira = await bindTo('jira', { baseUrl: jira.url, deployment: 'cloud', overlapSeconds: 5, labelSpaces: 'refuse' }, jira.secrets, jiraKey, { options: { labelSpaces: 'underscore' } });

    const story = await stack.post(`/projects/${project.id}/stories`, {
      // A priority both Jira and Redmine have: left empty, Jira fills in its default "Medium", which this
      // Redmine has no value for (that needs a value map on the binding's rules: docs/rules.md).
      title: 'Checkout fails',
      priority: 'High',
      description: '## Steps\n\n1. Open the cart\n2. Pay with **a saved card**\n\nSee [the log](https://example.com/log) and `payment.ts`.',
    });
    storyId = story.id;
    const links = await eventually(async () => {
      const view = await hub();
      const by = new Map<string, string>((view.links as Json[]).filter((l) => l.remoteId).map((l) => [l.bindingId as string, l.remoteId as string]));
      return by.size === 3 ? by : undefined;
    }, 60_000);
    ids.github = Number(links.get(b.github.binding.id));
    ids.redmine = Number(links.get(b.redmine.binding.id));
    ids.jira = links.get(b.jira.binding.id)!;
    await settled();
  }, 240_000);
  afterAll(async () => {
    await stack?.stop();
    await gh?.close();
    await jira?.close();
  });

  it("refuses a binding option the connector's schema does not allow, naming it, and keeps the rules", async () => {
    const res = await stack.api.call('PUT', `/bindings/${b.jira.binding.id}/rules`, { options: { labelSpaces: 'keep' } });
    expect(res.status).toBe(400);
    expect(((await res.json()) as Json).error.fields[0].path).toBe('options.labelSpaces');
    expect((await stack.get(`/bindings/${b.jira.binding.id}/rules`)).rules).toEqual({ options: { labelSpaces: 'underscore' } });
    const jiraConnector = ((await stack.get('/connectors')).items as Json[]).find((c) => c.slug === 'jira');
    expect(jiraConnector?.bindingOptions.properties.labelSpaces.enum).toEqual(['dash', 'underscore', 'refuse']);
  });

  it('a hub story lands on all three, each in its own markup', async () => {
    const expected = normalize((await hub()).description);
    const texts = await remoteTexts();
    expect(texts).toEqual({ github: expected, redmine: expected, jira: expected });
    const textile = (await getIssue(redmine, ids.redmine)).description ?? '';
    expect(textile).toMatch(/^h2\. Steps/m);
    expect(textile).toContain('*a saved card*');
    expect(textile).toMatch(/^# Open the cart/m);
    expect(adfKinds(jira.issue(ids.jira)?.description as AdfNode)).toEqual(expect.objectContaining(new Set(['heading', 'orderedList', 'mark:strong', 'mark:link', 'mark:code'])));
  });

  const sides = [
    {
      name: 'GitHub',
      origin: 'github' as const,
      async edit() {
        const marker = /<!-- trackbridge:[^>]*-->/.exec(gh.getIssue(REPO, ids.github)!.body ?? '')?.[0] ?? '';
        gh.editIssue(REPO, ids.github, { body: `### From GitHub\n\n- one\n- two with *emphasis*\n\n\`\`\`ts\nconst x = 1;\n\`\`\`\n\n${marker}` });
        return '### From GitHub\n\n- one\n- two with *emphasis*\n\n```ts\nconst x = 1;\n```';
      },
    },
    {
      name: 'Redmine',
      origin: 'redmine' as const,
      async edit() {
        await editIssue(redmine, ids.redmine, { description: 'h3. From Redmine\n\n* first\n* second with _emphasis_\n\n|a|b|\n|1|2|' });
        return fromTextile('h3. From Redmine\n\n* first\n* second with _emphasis_\n\n|a|b|\n|1|2|');
      },
    },
    {
      name: 'Jira',
      origin: 'jira' as const,
      async edit() {
        const doc = {
          type: 'doc', version: 1, content: [
            { type: 'heading', attrs: { level: 3 }, content: [{ type: 'text', text: 'From Jira' }] },
            { type: 'bulletList', content: [
              { type: 'listItem', content: [{ type: 'paragraph', content: [{ type: 'text', text: 'alpha' }] }] },
              { type: 'listItem', content: [{ type: 'paragraph', content: [{ type: 'text', text: 'beta ' }, { type: 'text', text: 'strong', marks: [{ type: 'strong' }] }] }] },
            ] },
          ],
        };
        // Another Jira user saves the description through the REST API, as the editor does.
        const secrets = jira.secrets as { email: string; apiToken: string };
        const res = await fetch(`${jira.url}/rest/api/3/issue/${ids.jira}`, {
          method: 'PUT',
          headers: { authorization: `Basic ${Buffer.from(`${secrets.email}:${secrets.apiToken}`).toString('base64')}`, 'content-type': 'application/json' },
          body: JSON.stringify({ fields: { description: doc } }),
        });
        expect(res.status).toBeLessThan(300);
        await jiraSearchCaughtUp();
        return fromAdf(doc);
      },
    },
  ];

  for (const side of sides) {
    it(`an edit on ${side.name} crosses to the other two once, formatting intact, and two more cycles write nothing`, async () => {
      const before = await snapshot();
      const expected = await side.edit();
      const afterEdit = await snapshot();
      await stack.pullNow(b[side.origin].binding.id, 60_000);
      await settled();
      const view = await hub();
      expect(view.description).toBe(expected);
      for (const binding of Object.values(b)) expect((await stack.get(`/bindings/${binding.binding.id}/dead-letters`)).items).toEqual([]);
      expect(await remoteTexts()).toEqual({ github: expected, redmine: expected, jira: expected });

      const crossed = await snapshot();
      for (const target of ['github', 'redmine', 'jira'] as const) {
        // The origin's own edit is its only write there (no echo); each other side got exactly one write.
        const own = afterEdit[target] - before[target];
        expect({ target, writes: crossed[target] - before[target] - own }).toEqual({ target, writes: target === side.origin ? 0 : 1 });
      }
      const version = view.version;
      await cycle();
      await cycle();
      expect(await snapshot()).toEqual(crossed);
      expect((await hub()).version).toBe(version);
    });
  }
  it("a GitHub label with a space reaches Jira as good_first_issue (the binding's policy), with a warning, and comes back unchanged", async () => {
    gh.editIssue(REPO, ids.github, { labels: ['good first issue'] });
    await stack.pullNow(b.github.binding.id, 60_000);
    await settled();
    expect((await hub()).labels).toEqual(['good first issue']);
    expect(jira.issue(ids.jira)?.labels).toEqual(['good_first_issue']);
    expect((await stack.get(`/bindings/${b.jira.binding.id}`)).warnings).toContain('Jira labels cannot contain spaces: "good first issue" is written as "good_first_issue" and read back as "good first issue"');
    // A Jira user adds a label: the hub and GitHub get it, and the rewritten one stays as GitHub wrote it.
    jira.edit(ids.jira, { labels: ['good_first_issue', 'triaged'] });
    await jiraSearchCaughtUp();
    await stack.pullNow(b.jira.binding.id, 60_000);
    await settled();
    expect((await hub()).labels).toEqual(['good first issue', 'triaged']);
    expect(gh.getIssue(REPO, ids.github)?.labels.map((l) => (typeof l === 'string' ? l : l.name)).sort()).toEqual(['good first issue', 'triaged']);
    for (const binding of Object.values(b)) expect((await stack.get(`/bindings/${binding.binding.id}/dead-letters`)).items).toEqual([]);
    const settledWrites = await snapshot();
    await cycle();
    expect(await snapshot()).toEqual(settledWrites);
  });

  it('a custom select travels hub → Jira (an option), Redmine (a list value) and GitHub (a scoped label); a Jira or GitHub user\'s pick comes back unchanged', async () => {
    const githubLabels = () => (gh.getIssue(REPO, ids.github)?.labels ?? []).map((l) => (typeof l === 'string' ? l : l.name)).sort();
    const redmineSeverity = async () => (await getIssue(redmine, ids.redmine)).custom_fields?.find((f) => f.id === severityRedmine)?.value ?? null;
    const jiraEdits = () => jira.requests({ method: 'PUT', path: `/rest/api/3/issue/${ids.jira}` });

    // 1. Someone triages in the hub (API or console): the select goes out to the two trackers that have it.
    const before = await snapshot();
    const editsBefore = jiraEdits().length;
    const res = await stack.api.call('PATCH', `/stories/${storyId}`, { version: (await hub()).version, customFields: { [SEVERITY]: 'High' } });
    expect(res.status).toBe(200);
    await settled();
    for (const binding of Object.values(b)) expect((await stack.get(`/bindings/${binding.binding.id}/dead-letters`)).items).toEqual([]);
    // Jira got the option in a select's shape, {value}, not the text "High" (which Jira refuses with 400).
    const sent = jiraEdits().slice(editsBefore).map((r) => (r.body as Json).fields as Json).filter((f) => severityJira in f);
    expect(sent).toEqual([{ [severityJira]: { value: 'High' } }]);
    const high = jira.issue(ids.jira)?.custom[severityJira] as Json;
    expect(high).toEqual({ id: expect.any(String), value: 'High' });
    expect(await redmineSeverity()).toBe('High');
    expect(githubLabels()).toEqual(['good first issue', 'severity: High', 'triaged']);
    expect((await hub()).labels).toEqual(['good first issue', 'triaged']);
    expect((await stack.get(`/bindings/${b.jira.binding.id}`)).warnings.filter((w: string) => w.includes(SEVERITY))).toEqual([]);
    const crossed = await snapshot();
    // One write on each tracker.
    expect({ github: crossed.github - before.github, jira: crossed.jira - before.jira, redmine: crossed.redmine - before.redmine }).toEqual({ github: 1, jira: 1, redmine: 1 });

    // 2. A Jira user picks another option (the edit screen offers them with their ids, as Jira's UI reads them).
    const critical = (await jiraRest(`/issue/${ids.jira}/editmeta`)).fields[severityJira].allowedValues.find((o: Json) => o.value === 'Critical');
    // With it, a field only Jira has (Team): the hub keeps it beside the shared one, and Redmine is not asked for it.
    jira.edit(ids.jira, { custom: { [severityJira]: { id: critical.id, value: 'Critical' }, customfield_10050: 'Payments' } });
    const afterJiraEdit = await snapshot();
    await jiraSearchCaughtUp();
    await stack.pullNow(b.jira.binding.id, 60_000);
    await settled();
    expect((await hub()).customFields).toMatchObject({ [SEVERITY]: 'Critical', Team: 'Payments' });
    expect(await redmineSeverity()).toBe('Critical');
    expect(githubLabels()).toEqual(['good first issue', 'severity: Critical', 'triaged']);
    expect((await stack.get(`/bindings/${b.redmine.binding.id}`)).warnings).toEqual([]);
    // Jira keeps the option the user picked, with nothing written back (no echo).
    expect(jira.issue(ids.jira)?.custom[severityJira]).toEqual({ id: critical.id, value: 'Critical' });
    const back = await snapshot();
    expect({ github: back.github - afterJiraEdit.github, jira: back.jira - afterJiraEdit.jira, redmine: back.redmine - afterJiraEdit.redmine }).toEqual({ github: 1, jira: 0, redmine: 1 });
    for (const binding of Object.values(b)) expect((await stack.get(`/bindings/${binding.binding.id}/dead-letters`)).items).toEqual([]);

    // 3. A GitHub user relabels: the hub, Jira (an option by value) and Redmine follow, and GitHub is not written back.
    gh.editIssue(REPO, ids.github, { labels: ['good first issue', 'severity: Low', 'triaged'] });
    const afterGitHubEdit = await snapshot();
    await stack.pullNow(b.github.binding.id, 60_000);
    await settled();
    expect((await hub()).customFields[SEVERITY]).toBe('Low');
    expect((await hub()).labels).toEqual(['good first issue', 'triaged']);
    expect(jira.issue(ids.jira)?.custom[severityJira]).toMatchObject({ value: 'Low' });
    expect(await redmineSeverity()).toBe('Low');
    const relabelled = await snapshot();
    expect({ github: relabelled.github - afterGitHubEdit.github, jira: relabelled.jira - afterGitHubEdit.jira, redmine: relabelled.redmine - afterGitHubEdit.redmine }).toEqual({ github: 0, jira: 1, redmine: 1 });
    for (const binding of Object.values(b)) expect((await stack.get(`/bindings/${binding.binding.id}/dead-letters`)).items).toEqual([]);

    // 4. Quiet: two more cycles on all three write nothing anywhere.
    const version = (await hub()).version;
    await cycle();
    await cycle();
    expect(await snapshot()).toEqual(relabelled);
    expect((await hub()).version).toBe(version);
    expect((await hub()).customFields).toMatchObject({ [SEVERITY]: 'Low', Team: 'Payments' });
  });
});
