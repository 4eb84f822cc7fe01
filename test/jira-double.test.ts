import { afterEach, describe, expect, it } from 'vitest';
import { contractCheck, contractOperations, CONTRACT_SOURCE, type ContractCheck } from './support/jira-contract';
import { startJiraDouble, textToAdf, type Deployment, type JiraDouble } from './support/jira-double';

let jira: JiraDouble | undefined;
afterEach(async () => {
  await jira?.close();
  jira = undefined;
});

async function start(deployment: Deployment, lag = 0): Promise<{ double: JiraDouble; contract: ContractCheck }> {
  const double = await startJiraDouble({ deployment, now: '2024-06-01T12:00:00Z', searchLagMs: lag });
  const contract = contractCheck(deployment);
  double.observe((e) => contract.check(e));
  double.createProject('WEB', 'Website');
  jira = double;
  return { double, contract };
}

function client(double: JiraDouble) {
  const v = double.deployment === 'cloud' ? '3' : '2';
  const auth = 'email' in double.secrets ? `Basic ${Buffer.from(`${double.secrets.email}:${double.secrets.apiToken}`).toString('base64')}` : `Bearer ${double.secrets.personalAccessToken}`;
  return async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${double.url}/rest/api/${v}${path}`, {
      method, headers: { authorization: auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers }, ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
  };
}

/** Drives every operation the connector uses, as it would, so each response meets the contract check. */
async function exerciseAll(double: JiraDouble) {
  const call = client(double);
  const cloud = double.deployment === 'cloud';
  const text = (s: string) => (cloud ? textToAdf(s) : s);
  await call('GET', '/myself');
  await call('GET', cloud ? '/project/search?maxResults=1' : '/project');
  await call('GET', '/field');
  const created = await call('POST', '/issue', {
    fields: { project: { key: 'WEB' }, issuetype: { name: 'Task' }, summary: 'Contract', description: text('Line one\nLine two'), labels: ['a'], priority: { name: 'High' }, customfield_10050: 'Core' },
    properties: [{ key: 'trackbridge', value: { marker: 'm-1' } }],
  });
  expect(created.status).toBe(201);
  const key = String(created.body?.key);
  double.seed('WEB', 3);
  await call('GET', `/issue/${key}?fields=*all&properties=trackbridge`);
  await call('PUT', `/issue/${key}`, { fields: { summary: 'Contract 2', assignee: cloud ? { accountId: '5b10ac8d82e05b22cc7d4ef5' } : { name: 'sync-bot' } } });
  const ts = await call('GET', `/issue/${key}/transitions?expand=transitions.fields`);
  const to = (ts.body?.transitions as Array<{ id: string }>)[0]?.id;
  await call('POST', `/issue/${key}/transitions`, { transition: { id: to } });
  const comment = await call('POST', `/issue/${key}/comment`, { body: text('Hello') });
  await call('PUT', `/issue/${key}/comment/${String(comment.body?.id)}`, { body: text('Hello again') });
  await call('GET', `/issue/${key}/comment/${String(comment.body?.id)}`);
  await call('GET', `/issue/${key}/comment`);
  await call('GET', `/issue/${key}/properties/trackbridge`);
  await call('PUT', `/issue/${key}/properties/other`, { a: 1 });
  const jql = 'project = WEB AND updated >= 0 ORDER BY updated ASC';
  if (cloud) {
    await call('GET', `/search/jql?jql=${encodeURIComponent(jql)}&maxResults=2&fields=summary,description,status,priority,assignee,labels,issuetype,updated,created,customfield_10050`);
    await call('POST', '/search/jql', { jql, fields: ['*all'], properties: ['trackbridge'] });
  } else {
    await call('GET', `/search?jql=${encodeURIComponent(jql)}&maxResults=2&fields=*all`);
    await call('POST', '/search', { jql, fields: ['summary', 'updated'], startAt: 1 });
  }
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array([1, 2, 3])], { type: 'image/png' }), 'dot.png');
  const v = cloud ? '3' : '2';
  const auth = 'email' in double.secrets ? `Basic ${Buffer.from(`${double.secrets.email}:${double.secrets.apiToken}`).toString('base64')}` : `Bearer ${double.secrets.personalAccessToken}`;
  const upload = await fetch(`${double.url}/rest/api/${v}/issue/${key}/attachments`, { method: 'POST', headers: { authorization: auth, 'x-atlassian-token': 'no-check' }, body: form });
  expect(upload.status).toBe(200);
  await call('GET', '/issue/NOPE-1');
  // Screens: createmeta (issue types, then one type's fields) and editmeta.
  await call('GET', '/issue/createmeta/WEB/issuetypes');
  await call('GET', '/issue/createmeta/WEB/issuetypes/10004');
  await call('GET', `/issue/${key}/editmeta`);
  await call('GET', cloud ? `/issue/${key}/changelog` : `/issue/${key}?expand=changelog`);
  // A connection's metadata: issue types with statuses, priorities, assignable users, labels (Cloud).
  await call('GET', '/project/WEB/statuses');
  await call('GET', cloud ? '/priority/search?maxResults=2' : '/priority');
  await call('GET', '/user/assignable/search?project=WEB&maxResults=100');
  if (cloud) await call('GET', '/label?maxResults=1');
  await call('DELETE', `/issue/${key}`);
}

describe.each(['cloud', 'datacenter'] as const)('Jira double (%s) against the published model', (deployment) => {
  it(`sends only responses the model accepts, for every operation the connector uses (${CONTRACT_SOURCE})`, async () => {
    const { double, contract } = await start(deployment);
    await exerciseAll(double);
    expect(contract.violations).toEqual([]);
    const expected = contractOperations(deployment).filter((op) => (deployment === 'cloud' ? !/^(GET|POST) \^\\\/search\$$|^GET \^\\\/project\$$|^GET \^\\\/priority\$$/.test(op) : !/search\\\/jql|project\\\/search|priority\\\/search|label|changelog/.test(op)));
    expect([...contract.covered].sort()).toEqual(expected.sort());
  });

  it('fails the check when a response drifts from the model', async () => {
    const { double, contract } = await start(deployment);
    const call = client(double);
    // A renamed key, a retyped one and an undocumented one, each as a real regression in the double would be.
    double.inject({ path: /\/myself$/, fault: { kind: 'status', status: 200, body: { displayName: 5, active: true } } });
    await call('GET', '/myself');
    double.inject({ path: /\/field$/, fault: { kind: 'status', status: 200, body: [{ id: 'summary', name: 'Summary', custom: false, colour: 'red' }] } });
    await call('GET', '/field');
    expect(contract.violations.some((v) => v.includes('/myself') && v.includes('displayName'))).toBe(true);
    expect(contract.violations.some((v) => v.includes('/field') && v.includes('colour'))).toBe(true);
    // A key Jira always sends, left out: every key is optional in the model, so only the presence check sees it.
    double.inject({ path: /\/issue\/[^/]+\/comment$/, fault: { kind: 'status', status: 200, body: { startAt: 0, maxResults: 50, total: 1, comments: [{ id: '1', body: deployment === 'cloud' ? textToAdf('x') : 'x', created: '2024-06-01T12:00:00.000+0000', updated: '2024-06-01T12:00:00.000+0000' }] } } });
    await call('GET', '/issue/WEB-1/comment');
    expect(contract.violations).toEqual(expect.arrayContaining([
      expect.stringMatching(/comment → 200: comments\[\]\.self: always sent by Jira/),
      expect.stringMatching(/comment → 200: comments\[\]\.author\.displayName: always sent by Jira/),
    ]));
  });
});

describe('Jira double behaviour', () => {
  it('Cloud: pages /search/jql by nextPageToken to isLast, and answers 410 on the retired search', async () => {
    const { double, contract } = await start('cloud');
    double.seed('WEB', 7);
    const call = client(double);
    const keys: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const res = await call('POST', '/search/jql', { jql: 'project = WEB ORDER BY updated ASC', maxResults: 3, fields: ['summary'], ...(token ? { nextPageToken: token } : {}) });
      keys.push(...(res.body?.issues as Array<{ key: string }>).map((i) => i.key));
      token = res.body?.nextPageToken as string | undefined;
      expect(res.body?.isLast).toBe(token === undefined);
      pages++;
    } while (token);
    expect(pages).toBe(3);
    expect(keys).toEqual(['WEB-1', 'WEB-2', 'WEB-3', 'WEB-4', 'WEB-5', 'WEB-6', 'WEB-7']);
    expect((await call('GET', '/search?jql=project%20%3D%20WEB')).status).toBe(410);
    const res = await fetch(`${double.url}/rest/api/2/search?jql=x`, { headers: { authorization: `Basic ${Buffer.from('sync-bot@example.com:ATATT3xFfGF0-double-token').toString('base64')}` } });
    expect(res.status).toBe(410);
    const bad = await call('POST', '/search/jql', { jql: 'project = WEB AND updated >= 0', nextPageToken: token ?? Buffer.from('000000000000.3').toString('base64url') });
    expect(bad.status).toBe(400);
    expect(contract.violations).toEqual([]);
  });

  it('Data Center: pages /search by startAt with a total; date literals other than epoch ms are refused', async () => {
    const { double } = await start('datacenter');
    double.seed('WEB', 5);
    const call = client(double);
    const page = await call('GET', `/search?jql=${encodeURIComponent('project = WEB ORDER BY updated ASC')}&startAt=3&maxResults=10`);
    expect(page.body?.total).toBe(5);
    expect((page.body?.issues as Array<{ key: string }>).map((i) => i.key)).toEqual(['WEB-4', 'WEB-5']);
    expect((await call('GET', `/search?jql=${encodeURIComponent('updated >= "2024-06-01 12:00"')}`)).status).toBe(400);
  });

  it('refuses a transition whose screen requires a field until it is given', async () => {
    const { double } = await start('cloud');
    double.requireOnTransition('Done', ['resolution']);
    const [id = ''] = double.seed('WEB', 1);
    const call = client(double);
    const ts = await call('GET', `/issue/${id}/transitions?expand=transitions.fields`);
    const resolve = (ts.body?.transitions as Array<{ id: string; to: { name: string }; fields: Record<string, { required: boolean }> }>).find((t) => t.to.name === 'Done');
    expect(resolve?.fields.resolution?.required).toBe(true);
    const refused = await call('POST', `/issue/${id}/transitions`, { transition: { id: resolve?.id } });
    expect(refused.status).toBe(400);
    expect(refused.body?.errors).toEqual({ resolution: 'Resolution is required.' });
    expect(double.issue(id)?.status).toBe('To Do');
    expect((await call('POST', `/issue/${id}/transitions`, { transition: { id: resolve?.id }, fields: { resolution: { name: 'Done' } } })).status).toBe(204);
    expect(double.issue(id)?.status).toBe('Done');
  });

  it('takes ADF on v3 and wiki strings on v2, and refuses the other', async () => {
    const cloud = await start('cloud');
    const [c = ''] = cloud.double.seed('WEB', 1);
    expect((await client(cloud.double)('PUT', `/issue/${c}`, { fields: { description: 'plain' } })).status).toBe(400);
    expect((await client(cloud.double)('POST', `/issue/${c}/comment`, { body: textToAdf('ok') })).status).toBe(201);
    await cloud.double.close();
    const dc = await start('datacenter');
    const [d = ''] = dc.double.seed('WEB', 1);
    expect((await client(dc.double)('PUT', `/issue/${d}`, { fields: { description: textToAdf('adf') } })).status).toBe(400);
    expect((await client(dc.double)('POST', `/issue/${d}/comment`, { body: 'h1. ok' })).status).toBe(201);
    expect(dc.double.issue(d)?.comments[0]?.body).toBe('h1. ok');
  });

  it('answers 429 with Retry-After, or with only the reset instant and reason', async () => {
    const { double } = await start('cloud');
    const call = client(double);
    double.rateLimit({ retryAfter: 3 });
    const first = await call('GET', '/myself');
    expect([first.status, first.headers.get('retry-after'), first.headers.get('ratelimit-reason')]).toEqual([429, '3', 'jira-burst-based']);
    double.rateLimit({ retryAfter: null, reason: 'jira-per-issue-on-write' });
    const second = await call('GET', '/myself');
    expect(second.status).toBe(429);
    expect(second.headers.get('retry-after')).toBeNull();
    expect(Date.parse(second.headers.get('x-ratelimit-reset') ?? '')).toBe(double.now().getTime() + 60_000);
    expect((await call('GET', '/myself')).status).toBe(200);
  });

  it('search lags writes by the configured lag; a read by key does not', async () => {
    const { double } = await start('cloud', 2000);
    const [id = ''] = double.seed('WEB', 1);
    const call = client(double);
    const search = async () => ((await call('POST', '/search/jql', { jql: `id in (${id})`, fields: ['summary'] })).body?.issues as Array<{ fields: { summary: string } }>);
    expect(await search()).toEqual([]);
    expect((await call('GET', `/issue/${id}`)).status).toBe(200);
    double.advanceTime(2000);
    expect((await search()).map((i) => i.fields.summary)).toEqual(['Seeded 1']);
    double.edit(id, { summary: 'Renamed' });
    expect((await search()).map((i) => i.fields.summary)).toEqual(['Seeded 1']);
    double.advanceTime(2000);
    expect((await search()).map((i) => i.fields.summary)).toEqual(['Renamed']);
  });

  it('refuses JQL on an entity property no app declared an index for, as an unknown field; finds it once indexed', async () => {
    const { double, contract } = await start('datacenter');
    const call = client(double);
    const created = await call('POST', '/issue', { fields: { project: { key: 'WEB' }, issuetype: { name: 'Task' }, summary: 'Marked' }, properties: [{ key: 'trackbridge', value: { marker: 'abc' } }] });
    double.seed('WEB', 2);
    const jql = 'project = WEB AND issue.property[trackbridge].marker = "abc"';
    const refused = await call('POST', '/search', { jql, fields: ['*all'] });
    expect([refused.status, refused.body?.errorMessages]).toEqual([400, ["Field 'issue.property[trackbridge].marker' does not exist or you do not have permission to view it."]]);
    double.indexProperty('trackbridge');
    const found = await call('POST', '/search', { jql, fields: ['*all'] });
    expect((found.body?.issues as Array<{ key: string; fields: Record<string, unknown> }>).map((i) => i.key)).toEqual([created.body?.key]);
    expect(JSON.stringify(found.body)).not.toContain('abc');
    // Our own creates, by currentUser(): the seeded issues are another user's.
    const mine = await call('POST', '/search', { jql: 'project = WEB AND creator = currentUser() ORDER BY created DESC', fields: ['summary'] });
    expect((mine.body?.issues as Array<{ key: string }>).map((i) => i.key)).toEqual([created.body?.key]);
    expect(contract.violations).toEqual([]);
  });
  it.each(['cloud', 'datacenter'] as const)('checks the requests it is sent against the request models, and ADF against its schema (%s)', async (deployment) => {
    const { double, contract } = await start(deployment);
    const [id = ''] = double.seed('WEB', 1);
    const call = client(double);
    // A key the model does not have (a typo of `fields`), as a connector bug would send it.
    const wrong = await call('PUT', `/issue/${id}`, { field: { summary: 'Typo' } });
    expect(wrong.status).toBe(400);
    expect(wrong.body?.errorMessages).toEqual(['Invalid request payload. Refer to the REST API documentation and try again.', expect.stringMatching(/^\(request model\) /)]);
    // A comment body of the wrong type for the deployment: wiki on v2, ADF on v3.
    expect((await call('POST', `/issue/${id}/comment`, { body: deployment === 'cloud' ? 'plain' : textToAdf('adf') })).status).toBe(400);
    if (deployment === 'cloud') {
      // Well-formed for jira.js's DocumentSchema, nonsense for ADF: a list inside a paragraph.
      const nested = { type: 'doc', version: 1, content: [{ type: 'paragraph', content: [{ type: 'bulletList', content: [] }] }] };
      const refused = await call('PUT', `/issue/${id}`, { fields: { description: nested } });
      expect([refused.status, refused.body?.errors]).toEqual([400, { description: 'Operation value must be an Atlassian Document (see the Atlassian Document Format)' }]);
      expect((await call('POST', `/issue/${id}/comment`, { body: nested })).status).toBe(400);
      expect((await call('PUT', `/issue/${id}`, { fields: { description: textToAdf('fine') } })).status).toBe(204);
    }
    expect(double.issue(id)?.summary).toBe('Seeded 1');
    expect(contract.violations).toEqual([]);
  });
});
