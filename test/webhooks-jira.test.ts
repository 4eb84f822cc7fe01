import { createHmac, randomBytes } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { externalLinks, runs, stories } from '../db/schema';
import { pullItemWorkflowId } from '../workflows/contract';
import { startJiraDouble, type JiraDouble } from './support/jira-double';
import { startStack, type Stack } from './support/scenario';

const sign = (secret: string, body: string) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

/** A Jira Cloud webhook (issue 14.3) against the Jira double: the hint fetches the issue; its payload is never trusted. */
describe.each(['cloud', 'datacenter'] as const)('Jira %s webhooks in (Jira double, real Temporal and Postgres)', (deployment) => {
  let stack: Stack;
  let jira: JiraDouble;
  let key: string;
  let bound: Awaited<ReturnType<Stack['bind']>>;
  let secret: string;
  let path: string;
  let issueId: string;
  let otherId: string;

  const titleOf = async (remoteId: string) => {
    const [row] = await stack.database.db.select({ title: stories.title }).from(stories)
      .innerJoin(externalLinks, eq(externalLinks.storyId, stories.id))
      .where(and(eq(externalLinks.bindingId, bound.binding.id), eq(externalLinks.remoteId, remoteId)));
    return row?.title;
  };
  const deletedAt = async (remoteId: string) => {
    const [row] = await stack.database.db.select({ deletedAt: stories.deletedAt }).from(stories)
      .innerJoin(externalLinks, eq(externalLinks.storyId, stories.id))
      .where(and(eq(externalLinks.bindingId, bound.binding.id), eq(externalLinks.remoteId, remoteId)));
    return row!.deletedAt;
  };
  const post = (body: string, signature: string) =>
    stack.api.app.request(path, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature': signature }, body });

  beforeAll(async () => {
    jira = await startJiraDouble({ deployment });
    key = `W${randomBytes(3).toString('hex').toUpperCase().replace(/[0-9]/g, (d) => 'ABCDEFGHIJ'[Number(d)]!)}`;
    jira.createProject(key);
    [issueId, otherId] = jira.seed(key, 2, { summary: 'As seeded' }) as [string, string];
    stack = await startStack();
    bound = await stack.bind('jira', { baseUrl: jira.url, deployment, overlapSeconds: 5 }, jira.secrets, key);
    expect((await stack.initialSync(bound.binding.id)).run.status).toBe('completed');
    const generated = await stack.post(`/connections/${bound.connection.id}/webhook-secret`, undefined, [201]);
    secret = generated.webhookSecret;
    path = generated.urls.jira;
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
    await jira?.close();
  });

  it('a signed jira:issue_updated brings the edit into the hub with no pull; its payload values are not trusted', async () => {
    const pulls = await stack.database.db.$count(runs, and(eq(runs.bindingId, bound.binding.id), eq(runs.kind, 'pull')));
    jira.edit(issueId, { summary: 'Edited in Jira' });
    const issue = jira.issue(issueId)!;
    // The payload lies about the summary: the hub takes what Jira answers to the fetch.
    const body = JSON.stringify({ webhookEvent: 'jira:issue_updated', issue: { id: issue.id, key: issue.key, fields: { summary: 'A lie', project: { key } } } });
    expect((await post(body, sign('not-the-secret', body))).status).toBe(401);
    const res = await post(body, sign(secret, body));
    expect(res.status).toBe(202);
    await stack.client.workflow.getHandle(pullItemWorkflowId(bound.binding.id, issue.id)).result();
    expect(await titleOf(issue.id)).toBe('Edited in Jira');
    expect(await stack.database.db.$count(runs, and(eq(runs.bindingId, bound.binding.id), eq(runs.kind, 'pull')))).toBe(pulls);
  });

  it('a signed jira:issue_deleted soft-deletes the story once a read by key confirms Jira no longer has it', async () => {
    const issue = jira.issue(otherId)!;
    const body = JSON.stringify({ webhookEvent: 'jira:issue_deleted', issue: { id: issue.id, key: issue.key, fields: { project: { key } } } });
    // Delivered before the deletion (a reordered or early payload): the read finds the issue, nothing is deleted.
    expect((await post(body, sign(secret, body))).status).toBe(202);
    await stack.client.workflow.getHandle(pullItemWorkflowId(bound.binding.id, issue.id)).result();
    expect(await deletedAt(issue.id)).toBeNull();
    jira.deleteIssue(otherId);
    expect((await post(body, sign(secret, body))).status).toBe(202);
    await stack.client.workflow.getHandle(pullItemWorkflowId(bound.binding.id, issue.id)).result();
    expect(await deletedAt(issue.id)).toBeInstanceOf(Date);
  });
});
