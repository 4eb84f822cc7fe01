import { createHmac } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { externalLinks, runs, stories } from '../db/schema';
import { installPlugin } from '../plugins/registry';
import { pullItemWorkflowId } from '../workflows/contract';
import linearPlugin from '../packages/connector-linear/src/index';
import { startLinearDouble, type LinearDouble } from '../packages/connector-linear/test/support/linear-double';
import { startStack, type Stack } from './support/scenario';

const ENTRY = fileURLToPath(new URL('../packages/connector-linear/src/index.ts', import.meta.url));
const sign = (secret: string, body: string) => createHmac('sha256', secret).update(body).digest('hex');

/**
 * Issue 26: the Linear plugin package brings its own webhooks (`Linear-Signature`, a bare hex HMAC of
 * the body; a `webhookTimestamp` older than a minute is a replay) through the connector's declaration.
 */
describe('Linear webhooks in (plugin package, Linear double, real Temporal and Postgres)', { timeout: 120_000 }, () => {
  let stack: Stack;
  let lin: LinearDouble;
  let bound: Awaited<ReturnType<Stack['bind']>>;
  let secret: string;
  let path: string;
  let id: string;

  const titleOf = async (remoteId: string) => {
    const [row] = await stack.database.db.select({ title: stories.title }).from(stories)
      .innerJoin(externalLinks, eq(externalLinks.storyId, stories.id))
      .where(and(eq(externalLinks.bindingId, bound.binding.id), eq(externalLinks.remoteId, remoteId)));
    return row?.title;
  };
  const deliver = (body: string, signature: string) =>
    stack.api.app.request(path, { method: 'POST', headers: { 'content-type': 'application/json', 'linear-signature': signature }, body });

  beforeAll(async () => {
    installPlugin(linearPlugin, ENTRY);
    lin = await startLinearDouble();
    lin.createTeam('HOOK');
    [id] = lin.seed('HOOK', 1) as [string];
    stack = await startStack();
    bound = await stack.bind('linear', { baseUrl: lin.url, overlapSeconds: 1 }, { apiKey: lin.apiKey }, 'HOOK');
    expect((await stack.initialSync(bound.binding.id)).run.status).toBe('completed');
    const generated = await stack.post(`/connections/${bound.connection.id}/webhook-secret`, undefined, [201]);
    secret = generated.webhookSecret;
    path = generated.urls.linear;
  });
  afterAll(async () => {
    await stack?.stop();
    await lin?.close();
  });

  it('a signed Issue event brings the edit into the hub with no pull; a forged one and a replay are refused', async () => {
    const pulls = await stack.database.db.$count(runs, and(eq(runs.bindingId, bound.binding.id), eq(runs.kind, 'pull')));
    lin.edit(id, { title: 'Edited in Linear' });
    const body = JSON.stringify({ action: 'update', type: 'Issue', data: { id, title: 'A lie' }, webhookTimestamp: Date.now() });
    expect((await deliver(body, sign('not-the-secret', body))).status).toBe(401);
    const stale = JSON.stringify({ action: 'update', type: 'Issue', data: { id }, webhookTimestamp: Date.now() - 5 * 60_000 });
    const replay = await deliver(stale, sign(secret, stale));
    expect(await replay.json()).toEqual({ accepted: 0, reason: 'a delivery more than a minute old (a replay?)' });
    expect(await titleOf(id)).toBe('Seeded issue 1');
    const res = await deliver(body, sign(secret, body));
    expect(res.status).toBe(202);
    await stack.client.workflow.getHandle(pullItemWorkflowId(bound.binding.id, id)).result();
    expect(await titleOf(id)).toBe('Edited in Linear');
    expect(await stack.database.db.$count(runs, and(eq(runs.bindingId, bound.binding.id), eq(runs.kind, 'pull')))).toBe(pulls);
    expect(lin.violations).toEqual([]);
  });
});
