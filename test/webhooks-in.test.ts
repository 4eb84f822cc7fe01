import { createHmac, randomUUID } from 'node:crypto';
import { WorkflowNotFoundError } from '@temporalio/client';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bindings, comments, connections, externalLinks, outboxEvents, runs, stories } from '../db/schema';
import { applyRemotePage } from '../sync/pull';
import { webhookDeliveryCounts } from '../api/webhook-deliveries';
import { githubWebhooks } from '../connectors/github/webhooks';
import { jiraWebhooks } from '../connectors/jira/webhooks';
import { verifyHmacHeader, verifyPokeSignature, verifyToken } from '../lib/webhook-signature';
import { pullItemWorkflowId } from '../workflows/contract';
import { startGitHubDouble, type GitHubDouble } from './support/github-double';
import { eventually } from './support/harness';
import { createIssue, createProject, editIssue, ensureRedmine, type Redmine, type RmIssue } from './support/redmine';
import { serveApi, startStack, type Stack } from './support/scenario';

const REPO = 'acme/hooks';
/** Signatures made here, independently of lib/webhook-signature.ts: GitHub's scheme and the poke's. */
const hubSign = (secret: string, body: string) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
const pokeSign = (secret: string, t: number, body: string) => `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;

describe('webhooks in: a signed hint fetches the item through the pull path (GitHub double, real Redmine, Temporal, Postgres)', { timeout: 180_000 }, () => {
  let stack: Stack;
  let gh: GitHubDouble;
  let served: Awaited<ReturnType<typeof serveApi>> | undefined;
  let base: string;
  let bound: Awaited<ReturnType<Stack['bind']>>;
  let secret: string;
  let hookUrl: string;

  /** POSTs without a bearer token, as a remote does. */
  const send = (path: string, body: string, headers: Record<string, string>) =>
    fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const storyOf = async (bindingId: string, remoteId: string) => {
    const [row] = await stack.database.db.select({ story: stories }).from(stories)
      .innerJoin(externalLinks, eq(externalLinks.storyId, stories.id))
      .where(and(eq(externalLinks.bindingId, bindingId), eq(externalLinks.remoteId, remoteId)));
    return row?.story;
  };
  const pullRuns = (bindingId: string) => stack.database.db.$count(runs, and(eq(runs.bindingId, bindingId), eq(runs.kind, 'pull')));
  const workflowExists = async (id: string) => {
    try {
      await stack.client.workflow.getHandle(id).describe();
      return true;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return false;
      throw err;
    }
  };
  /** Waits for the item's latest pull-item run to finish (a redelivery's 202 means it was started or signalled). */
  const fetched = (bindingId: string, remoteId: string) => stack.client.workflow.getHandle(pullItemWorkflowId(bindingId, remoteId)).result();

  beforeAll(async () => {
    gh = await startGitHubDouble();
    gh.createRepo(REPO);
    for (let i = 1; i <= 4; i++) gh.addIssue(REPO, { title: `Issue ${i}`, body: `Body ${i}` });
    stack = await startStack();
    served = await serveApi(stack);
    base = served.base;
    bound = await stack.bind('github', { baseUrl: gh.url, maxRequestsPerSecond: 100 }, { token: gh.token }, REPO);
    const { run } = await stack.initialSync(bound.binding.id);
    expect(run.status).toBe('completed');
    const generated = await stack.post(`/connections/${bound.connection.id}/webhook-secret`, undefined, [201]);
    secret = generated.webhookSecret;
    hookUrl = `${base}${generated.urls.github}`;
  }, 120_000);
  afterAll(async () => {
    await gh?.settleWebhooks();
    await served?.close();
    await stack?.stop();
    await gh?.close();
  });

  it('generates the webhook secret once: never shown again, sealed at rest', async () => {
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(await stack.get(`/connections/${bound.connection.id}`))).not.toContain(secret);
    const [row] = await stack.database.db.select().from(connections).where(eq(connections.id, bound.connection.id));
    expect(row!.secretsSealed).not.toContain(secret);
  });

  it('refuses a forged, a missing and a misaddressed signature with 401, and starts nothing', async () => {
    gh.editIssue(REPO, 1, { title: 'Edited while no webhook was set' });
    const body = JSON.stringify({ action: 'edited', issue: { number: 1 }, repository: { full_name: REPO }, sender: { login: 'octocat' } });
    const headers = { 'x-github-event': 'issues', 'x-github-delivery': randomUUID() };
    const before = webhookDeliveryCounts().bad_signature;
    const outbox = await stack.database.db.$count(outboxEvents);
    const answers = [
      await send(`/webhooks/github/${bound.connection.id}`, body, { ...headers, 'x-hub-signature-256': hubSign('not-the-secret', body) }),
      await send(`/webhooks/github/${bound.connection.id}`, body, headers),
      await send(`/webhooks/github/${bound.connection.id}`, `${body} `, { ...headers, 'x-hub-signature-256': hubSign(secret, body) }),
      await send(`/webhooks/github/${randomUUID()}`, body, { ...headers, 'x-hub-signature-256': hubSign(secret, body) }),
      await send('/webhooks/github/not-an-id', body, { ...headers, 'x-hub-signature-256': hubSign(secret, body) }),
    ];
    for (const res of answers) {
      expect(res.status).toBe(401);
      const text = await res.text();
      expect(text).not.toContain(secret);
      expect(JSON.parse(text).error.code).toBe('invalid_signature');
    }
    expect(webhookDeliveryCounts().bad_signature - before).toBe(answers.length);
    // The fetch would have been started within the request: none was.
    expect(await workflowExists(pullItemWorkflowId(bound.binding.id, '1'))).toBe(false);
    expect((await storyOf(bound.binding.id, '1'))?.title).toBe('Issue 1');
    expect(await stack.database.db.$count(outboxEvents)).toBe(outbox);
  });

  it('a webhook from the double brings a remote edit, a new comment and a new issue into the hub with no scheduled pull', async () => {
    gh.setWebhook(hookUrl, secret, { repo: REPO });
    await gh.settleWebhooks();
    expect(gh.webhookDeliveries()[0]).toMatchObject({ event: 'ping', status: 204 });

    gh.editIssue(REPO, 2, { title: 'Renamed on GitHub', labels: ['bug'] });
    await eventually(async () => (await storyOf(bound.binding.id, '2'))?.title === 'Renamed on GitHub', 20_000);
    expect((await storyOf(bound.binding.id, '2'))?.labels).toEqual(['bug']);

    gh.addComment(REPO, 3, 'Said on GitHub', { user: 'octocat' });
    const story3 = (await storyOf(bound.binding.id, '3'))!;
    await eventually(async () => (await stack.database.db.$count(comments, and(eq(comments.storyId, story3.id), eq(comments.body, 'Said on GitHub')))) === 1, 20_000);

    const born = gh.addIssue(REPO, { title: 'Born on GitHub', user: 'octocat' });
    await eventually(async () => (await storyOf(bound.binding.id, String(born.number)))?.title === 'Born on GitHub', 20_000);

    await gh.settleWebhooks();
    expect(gh.webhookDeliveries().filter((d) => d.event !== 'ping').every((d) => d.status === 202)).toBe(true);
    expect(await pullRuns(bound.binding.id)).toBe(0);
    // Issue 1's edit was made while no webhook was set: no hint, so it waits for the scheduled pull.
    expect((await storyOf(bound.binding.id, '1'))?.title).toBe('Issue 1');
  });

  it('a redelivered or late webhook changes nothing: the hub keeps the latest remote state, no new events, no echo', async () => {
    gh.editIssue(REPO, 4, { title: 'First title' });
    await eventually(async () => (await storyOf(bound.binding.id, '4'))?.title === 'First title', 20_000);
    const first = gh.webhookDeliveries().filter((d) => d.issue === 4).at(-1)!;
    gh.editIssue(REPO, 4, { title: 'Second title' });
    await eventually(async () => (await storyOf(bound.binding.id, '4'))?.title === 'Second title', 20_000);
    const second = gh.webhookDeliveries().filter((d) => d.issue === 4).at(-1)!;
    await fetched(bound.binding.id, '4');
    expect(JSON.parse(first.body).issue.title).toBe('First title');

    const outbox = await stack.database.db.$count(outboxEvents);
    const version = (await storyOf(bound.binding.id, '4'))!.version;
    gh.resetRequests();
    // The old payload arrives after the newer edit, then the newer one twice.
    for (const id of [first.id, second.id, second.id]) {
      const again = gh.redeliverWebhook(id);
      await gh.settleWebhooks();
      expect(again.status).toBe(202);
      await fetched(bound.binding.id, '4');
    }
    const story = (await storyOf(bound.binding.id, '4'))!;
    expect(story.title).toBe('Second title');
    expect(story.version).toBe(version);
    expect(await stack.database.db.$count(outboxEvents)).toBe(outbox);
    // Each redelivery read the issue fresh, and nothing was written back to GitHub.
    expect(gh.countRequests({ method: 'GET', path: `/repos/${REPO}/issues/4` })).toBeGreaterThanOrEqual(3);
    expect(gh.requests().filter((r) => r.method !== 'GET')).toEqual([]);
    expect(await pullRuns(bound.binding.id)).toBe(0);
  });

  it('a read older than the one the link recorded is not applied (a scheduled page crossing a webhook\'s fetch)', async () => {
    const [binding] = await stack.database.db.select().from(bindings).where(eq(bindings.id, bound.binding.id));
    const [link] = await stack.database.db.select().from(externalLinks).where(and(eq(externalLinks.bindingId, bound.binding.id), eq(externalLinks.remoteId, '4')));
    const current = gh.getIssue(REPO, 4)!;
    const older = new Date(Date.parse(link!.remoteUpdatedAt!) - 5_000).toISOString();
    const stale = {
      remoteId: '4', key: `${REPO}#4`, url: current.html_url, createdAt: current.created_at, updatedAt: older, raw: {},
      fields: { title: 'First title', description: 'Body 4', status: 'open', closed: false, priority: null, assignee: null, labels: [], customFields: {} },
    };
    const applied = await applyRemotePage(stack.database.db, binding!, [stale], { full: false, listedAt: new Date() });
    expect(applied.counts).toMatchObject({ unchanged: 1, updated: 0 });
    expect((await storyOf(bound.binding.id, '4'))?.title).toBe('Second title');
  });

  it('takes no bearer token and refuses a body over the limit with 413 before checking anything', async () => {
    const before = webhookDeliveryCounts().too_large;
    const big = JSON.stringify({ action: 'edited', issue: { number: 1 }, padding: 'x'.repeat(1024 * 1024 + 10) });
    const res = await send(`/webhooks/github/${bound.connection.id}`, big, { 'x-github-event': 'issues', 'x-hub-signature-256': hubSign(secret, big) });
    expect(res.status).toBe(413);
    expect(webhookDeliveryCounts().too_large - before).toBe(1);
    // A signed ping with no Authorization header at all.
    const ping = JSON.stringify({ zen: 'Practicality beats purity.', hook_id: 1 });
    expect((await send(`/webhooks/github/${bound.connection.id}`, ping, { 'x-github-event': 'ping', 'x-hub-signature-256': hubSign(secret, ping) })).status).toBe(204);
    // Only the webhook routes are open: anything else still needs a token.
    expect((await stack.api.app.request('/projects', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status).toBe(401);
  });

  describe('the signed poke, against real Redmine', () => {
    const pokeSecret = randomUUID().replace(/-/g, '');
    let redmine: Redmine;
    let rmBound: Awaited<ReturnType<Stack['bind']>>;
    let issue: RmIssue;
    let foreign: RmIssue;
    const poke = (body: string, t = Math.floor(Date.now() / 1000), key = pokeSecret) =>
      send(`/webhooks/poke/${rmBound.connection.id}`, body, { 'x-trackbridge-signature-256': pokeSign(key, t, body) });

    beforeAll(async () => {
      redmine = await ensureRedmine();
      const project = (await createProject(redmine)).identifier;
      issue = await createIssue(redmine, project, { subject: 'Poked issue' });
      foreign = await createIssue(redmine, (await createProject(redmine)).identifier, { subject: 'Not this binding\'s' });
      // The webhook secret set with the connection's other secrets.
      rmBound = await stack.bind('redmine', { baseUrl: redmine.url, maxRequestsPerSecond: 100 }, { apiKey: redmine.apiKey, webhookSecret: pokeSecret }, project);
      expect((await stack.initialSync(rmBound.binding.id, 120_000)).run.status).toBe('completed');
    }, 180_000);

    it('a signed poke fetches the issue; a stale or forged one gets 401', async () => {
      await editIssue(redmine, issue.id, { subject: 'Edited in Redmine, then poked' });
      const body = JSON.stringify({ remoteId: String(issue.id) });
      const stale = await poke(body, Math.floor(Date.now() / 1000) - 6 * 60);
      expect(stale.status).toBe(401);
      expect(((await stale.json()) as { error: { code: string } }).error.code).toBe('stale_signature');
      expect((await poke(body, undefined, 'forged-secret-0000')).status).toBe(401);
      expect((await send(`/webhooks/poke/${rmBound.connection.id}`, body, {})).status).toBe(401);
      expect(await workflowExists(pullItemWorkflowId(rmBound.binding.id, String(issue.id)))).toBe(false);

      const res = await poke(body);
      expect(res.status).toBe(202);
      expect(await res.json()).toEqual({ accepted: 1 });
      await fetched(rmBound.binding.id, String(issue.id));
      expect((await storyOf(rmBound.binding.id, String(issue.id)))?.title).toBe('Edited in Redmine, then poked');
      expect(await pullRuns(rmBound.binding.id)).toBe(0);
    });

    it('a poke naming another project\'s issue imports nothing; a bad body is a 400 naming the field', async () => {
      const stories0 = await stack.database.db.$count(stories, eq(stories.projectId, rmBound.project.id));
      expect((await poke(JSON.stringify({ remoteId: String(foreign.id) }))).status).toBe(202);
      expect(await fetched(rmBound.binding.id, String(foreign.id))).toMatchObject({ fetches: 1 });
      expect(await storyOf(rmBound.binding.id, String(foreign.id))).toBeUndefined();
      expect(await stack.database.db.$count(stories, eq(stories.projectId, rmBound.project.id))).toBe(stories0);

      const bad = await poke(JSON.stringify({ remoteId: 7 }));
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { error: { fields: { path: string }[] } }).error.fields[0]!.path).toBe('body.remoteId');
      const unknownScope = await poke(JSON.stringify({ remoteId: String(issue.id), scope: 'no-such-project' }));
      expect(await unknownScope.json()).toEqual({ accepted: 0, reason: 'no active binding of that scope' });
    });
  });
});

describe('webhook payloads and signatures, without a server', () => {
  it('reads only the item a payload names: GitHub issue number and repo, Jira issue id and project key', () => {
    const github = (event: string, payload: unknown) => githubWebhooks.read({ header: (name) => (name === 'x-github-event' ? event : undefined), payload });
    expect(github('issues', { action: 'edited', issue: { number: 12, title: 'ignored' }, repository: { full_name: 'Acme/Web' } }))
      .toEqual({ kind: 'item', scope: 'Acme/Web', remoteId: '12' });
    expect(github('issue_comment', { issue: { number: 3, pull_request: { url: 'x' } }, repository: { full_name: 'a/b' } })).toMatchObject({ kind: 'ignored' });
    expect(github('push', { ref: 'main' })).toMatchObject({ kind: 'ignored' });
    expect(github('issues', { issue: { number: 'twelve' } })).toMatchObject({ kind: 'ignored' });
    expect(github('ping', { zen: 'x' })).toEqual({ kind: 'ping' });
    const jira = (payload: unknown) => jiraWebhooks.read({ header: () => undefined, payload });
    expect(jira({ webhookEvent: 'jira:issue_updated', issue: { id: '10042', key: 'WEB-7', fields: { project: { key: 'WEB' } } } }))
      .toEqual({ kind: 'item', scope: 'WEB', remoteId: '10042' });
    expect(jira({ webhookEvent: 'comment_created', comment: { body: 'x' }, issue: { key: 'WEB-7' } }))
      .toEqual({ kind: 'item', remoteId: 'WEB-7' });
    expect(jira({ webhookEvent: 'worklog_updated', issue: { id: '1' } })).toMatchObject({ kind: 'ignored' });
    expect(jira([1, 2])).toMatchObject({ kind: 'ignored' });
  });

  it('checks every signature scheme against signatures made independently', () => {
    const body = '{"remoteId":"1"}';
    expect(verifyHmacHeader('s3cret', body, hubSign('s3cret', body))).toBe(true);
    expect(verifyHmacHeader('s3cret', body, hubSign('s3cret', body).toUpperCase().replace('SHA256', 'sha256'))).toBe(true);
    // Bare hex, as Linear signs.
    expect(verifyHmacHeader('s3cret', body, hubSign('s3cret', body).slice('sha256='.length))).toBe(true);
    expect(verifyHmacHeader('s3cret', body, hubSign('other', body))).toBe(false);
    expect(verifyHmacHeader('s3cret', body, 'sha256=')).toBe(false);
    expect(verifyHmacHeader('s3cret', body, undefined)).toBe(false);
    // A shared token, as GitLab sends it.
    expect(verifyToken('s3cret', 's3cret')).toBe(true);
    expect(verifyToken('s3cret', 's3cre')).toBe(false);
    expect(verifyToken('s3cret', undefined)).toBe(false);
    const now = 1_900_000_000;
    expect(verifyPokeSignature('s3cret', body, pokeSign('s3cret', now - 10, body), now)).toBe('ok');
    expect(verifyPokeSignature('s3cret', body, pokeSign('s3cret', now - 301, body), now)).toBe('stale');
    expect(verifyPokeSignature('s3cret', body, pokeSign('s3cret', now + 301, body), now)).toBe('stale');
    expect(verifyPokeSignature('s3cret', `${body} `, pokeSign('s3cret', now, body), now)).toBe('bad');
    expect(verifyPokeSignature('s3cret', body, `t=${now}`, now)).toBe('bad');
    expect(verifyPokeSignature('s3cret', body, 'garbage', now)).toBe('bad');
  });
});
