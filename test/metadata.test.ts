import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contractCheck, type ContractCheck } from './support/jira-contract';
import { startGitHubDouble, type GitHubDouble } from './support/github-double';
import { startJiraDouble, type JiraDouble } from './support/jira-double';
import { createCustomField, createProject, ensureRedmine, redmineRequest, type Redmine } from './support/redmine';
import { startStack, type Stack } from './support/scenario';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const names = (list: Array<{ name: string }>) => list.map((v) => v.name);

/** GET /connections/{id}/metadata: the lists a mapping is picked from, read through a workflow from each remote. */
describe('connection metadata', () => {
  let stack: Stack;
  const call = async (path: string) => {
    const res = await stack.api.call('GET', path);
    return { status: res.status, body: (await res.json()) as Json };
  };
  const connect = async (connector: string, config: Json, secrets: Json) =>
    (await stack.post('/connections', { connector, name: `${connector} metadata`, config, secrets })).id as string;

  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  describe('Redmine (real)', () => {
    let r: Redmine;
    beforeAll(async () => {
      r = await ensureRedmine();
    });

    it('lists statuses with is_closed, priorities, trackers, project members and custom fields; no labels', async () => {
      const project = await createProject(r);
      const login = `meta${randomBytes(3).toString('hex')}`;
      const { body: created } = await redmineRequest<{ user: { id: number } }>(r, 'POST', '/users.json', {
        user: { login, firstname: 'Meta', lastname: login, mail: `${login}@example.test`, password: `pw-${randomBytes(8).toString('hex')}` },
      });
      const { body: roles } = await redmineRequest<{ roles: Array<{ id: number; name: string }> }>(r, 'GET', '/roles.json');
      await redmineRequest(r, 'POST', `/projects/${project.identifier}/memberships.json`, { membership: { user_id: created.user.id, role_ids: [roles.roles[0]!.id] } });
      const field = await createCustomField(r, { name: 'Meta Severity', format: 'list', possibleValues: ['S1', 'S2'], project: project.identifier });
      const id = await connect('redmine', { baseUrl: r.url }, { apiKey: r.apiKey });

      const { status, body } = await call(`/connections/${id}/metadata?scope=${project.identifier}`);
      expect(status).toBe(200);
      expect(body.statuses).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'New', closed: false }), expect.objectContaining({ name: 'Closed', closed: true })]));
      expect(names(body.priorities)).toEqual(expect.arrayContaining(['Normal', 'High']));
      expect(names(body.issueTypes)).toEqual(expect.arrayContaining(['Bug', 'Feature']));
      expect(names(body.users)).toContain(`Meta ${login}`);
      expect(body.labels).toEqual([]);
      // The admin key reads /custom_fields.json: the list field comes with its values.
      expect(body.customFields).toEqual(expect.arrayContaining([{ id: String(field.id), name: 'Meta Severity', type: 'list', multiple: false, values: ['S1', 'S2'] }]));

      const unknown = await call(`/connections/${id}/metadata?scope=no-such-project-${randomBytes(3).toString('hex')}`);
      expect(unknown.status).toBe(422);
      expect(unknown.body.error).toMatchObject({ code: 'unknown_scope', fields: [{ path: 'scope' }] });
      const missing = await call(`/connections/${id}/metadata`);
      expect(missing.status).toBe(400);
      expect(missing.body.error.fields[0].path).toBe('query.scope');
    });
  });

  describe('GitHub (double)', () => {
    let gh: GitHubDouble;
    beforeAll(async () => {
      gh = await startGitHubDouble();
      gh.createRepo('octo/meta');
      gh.addIssue('octo/meta', { title: 'Labelled', labels: ['needs-triage'] });
    });
    afterAll(async () => {
      await gh?.close();
    });

    it('lists open and closed, the repository labels and assignees; caches a minute unless refresh=true', async () => {
      const id = await connect('github', { baseUrl: gh.url }, { token: gh.token });
      gh.resetRequests();
      const { status, body } = await call(`/connections/${id}/metadata?scope=octo/meta`);
      expect(status).toBe(200);
      expect(body.statuses).toEqual([{ name: 'open', closed: false }, { name: 'closed', closed: true }]);
      expect(names(body.labels)).toEqual(expect.arrayContaining(['bug', 'needs-triage']));
      expect(names(body.users)).toContain(gh.login);
      expect(body).toMatchObject({ priorities: [], issueTypes: [], customFields: [] });
      const asked = gh.countRequests({ path: '/repos/octo/meta/labels' });
      expect(asked).toBe(1);

      expect((await call(`/connections/${id}/metadata?scope=octo/meta`)).body).toEqual(body);
      expect(gh.countRequests({ path: '/repos/octo/meta/labels' })).toBe(1);
      expect((await call(`/connections/${id}/metadata?scope=octo/meta&refresh=true`)).status).toBe(200);
      expect(gh.countRequests({ path: '/repos/octo/meta/labels' })).toBe(2);
    });
  });

  describe.each(['cloud', 'datacenter'] as const)('Jira %s (double, responses checked against the published model)', (deployment) => {
    let jira: JiraDouble;
    let contract: ContractCheck;
    beforeAll(async () => {
      jira = await startJiraDouble({ deployment });
      contract = contractCheck(deployment);
      jira.observe((e) => contract.check(e));
      jira.createProject('META', 'Metadata');
      jira.seed('META', 1, { labels: ['frontend'] });
    });
    afterAll(async () => {
      await jira?.close();
    });

    it('lists workflow statuses (Done is closed), priorities, assignable users, labels, issue types and custom fields', async () => {
      const id = await connect('jira', { baseUrl: jira.url, deployment }, jira.secrets);
      const { status, body } = await call(`/connections/${id}/metadata?scope=META`);
      expect(status).toBe(200);
      expect(body.statuses).toEqual([{ id: '10000', name: 'To Do', closed: false }, { id: '3', name: 'In Progress', closed: false }, { id: '10001', name: 'Done', closed: true }]);
      expect(names(body.priorities)).toEqual(['Highest', 'High', 'Medium', 'Low', 'Lowest']);
      expect(names(body.issueTypes)).toEqual(['Task', 'Bug']);
      // An assignee is read as an accountId on Cloud, a login on Data Center.
      expect(body.users).toEqual(expect.arrayContaining([{ name: deployment === 'cloud' ? '5b10ac8d82e05b22cc7d4ef5' : 'sync-bot', displayName: 'Sync Bot' }]));
      expect(names(body.labels)).toEqual(deployment === 'cloud' ? ['frontend'] : []);
      expect(body.customFields).toEqual(expect.arrayContaining([{ id: 'customfield_10050', name: 'Team', type: 'string' }]));
      expect(contract.violations).toEqual([]);
    });
  });
});
