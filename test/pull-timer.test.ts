import { temporal } from '@temporalio/proto';
import { and, asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runs, stories, externalLinks } from '../db/schema';
import { pollerStateQuery, pollerWorkflowId } from '../workflows/contract';
import { startGitHubDouble, type GitHubDouble } from './support/github-double';
import { eventually } from './support/harness';
import { serveApi, startStack, type Stack } from './support/scenario';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const EventType = temporal.api.enums.v1.EventType;
const REPO = 'octo/timer';

/**
 * The pull timer (workflows/pollBinding.ts) on the real stack: a scheduled pull is one timer and one
 * local activity in the timer's history, two billable actions when the remote has nothing new (K1);
 * a scheduled pull applies what changed; while webhooks deliver, quiet pulls wait an hour.
 */
describe('pull timer (GitHub double, real Temporal and Postgres)', () => {
  let stack: Stack;
  let gh: GitHubDouble;
  let served: Awaited<ReturnType<typeof serveApi>> | undefined;
  let base: string;
  let bindingId: string;
  let connectionId: string;

  const pullRows = () => stack.database.db.select().from(runs).where(and(eq(runs.bindingId, bindingId), eq(runs.kind, 'pull'))).orderBy(asc(runs.startedAt));
  const titleOf = async (remoteId: string) => (await stack.database.db.select({ title: stories.title }).from(stories)
    .innerJoin(externalLinks, eq(externalLinks.storyId, stories.id)).where(and(eq(externalLinks.bindingId, bindingId), eq(externalLinks.remoteId, remoteId))))[0]?.title;
  const timer = () => stack.client.workflow.getHandle(pollerWorkflowId(bindingId));

  beforeAll(async () => {
    gh = await startGitHubDouble();
    gh.createRepo(REPO);
    for (let i = 1; i <= 3; i++) gh.addIssue(REPO, { title: `Issue ${i}`, body: `Body ${i}` });
    stack = await startStack();
    served = await serveApi(stack);
    base = served.base;
    const project = await stack.post('/projects', { key: 'TIMER', name: 'Timer' });
    const connection = await stack.post('/connections', { connector: 'github', name: 'timer', config: { baseUrl: gh.url, maxRequestsPerSecond: 100 }, secrets: { token: gh.token } });
    connectionId = connection.id;
    // The shortest interval the API takes, so scheduled pulls come within the test.
    const binding = await stack.post('/bindings', { projectId: project.id, connectionId, scope: REPO, pullIntervalSeconds: 10 });
    bindingId = binding.id;
    const { run } = await stack.initialSync(bindingId);
    expect(run.status).toBe('completed');
  }, 120_000);
  afterAll(async () => {
    await gh?.settleWebhooks();
    await served?.close();
    await stack?.stop();
    await gh?.close();
  });

  it('a quiet scheduled pull is one timer and one local activity, and one conditional request answered 304', async () => {
    // Two scheduled pulls after the initial sync: the second is quiet for sure (the first took the watermark).
    const rows = await eventually(async () => {
      const done = (await pullRows()).filter((r) => r.status === 'completed');
      return done.length >= 3 ? done : undefined;
    }, 60_000, 250);
    const [, second, third] = rows;
    // Each scheduled pull ran in the timer itself: its run row names no workflow of its own.
    expect(second!.workflowId).toMatch(new RegExp(`^pull/${bindingId}-`));
    await expect(stack.client.workflow.getHandle(second!.workflowId).describe()).rejects.toThrow(/not found/i);

    const since = third!.startedAt.getTime();
    gh.resetRequests();
    const fourth = await eventually(async () => (await pullRows()).find((r) => r.status === 'completed' && r.startedAt.getTime() > since), 30_000, 250);
    const requests = gh.requests().filter((r) => r.at <= fourth.finishedAt!.getTime());
    expect(requests.map((r) => `${r.method} ${r.status}`)).toEqual(['GET 304']);

    // The timer's history between two quiet pulls: what Temporal bills for each.
    const history = await timer().fetchHistory();
    const events = history.events ?? [];
    const kinds = events.map((e) => e.eventType);
    const lastTwoTimers = kinds.map((k, i) => (k === EventType.EVENT_TYPE_TIMER_STARTED ? i : -1)).filter((i) => i >= 0).slice(-3);
    const between = events.slice(lastTwoTimers[0]!, lastTwoTimers[1]!);
    const billed = between.filter((e) => [
      EventType.EVENT_TYPE_TIMER_STARTED, EventType.EVENT_TYPE_MARKER_RECORDED, EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
      EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED, EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
      EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED,
    ].includes(e.eventType!)).map((e) => EventType[e.eventType!]);
    expect(billed).toEqual(['EVENT_TYPE_TIMER_STARTED', 'EVENT_TYPE_MARKER_RECORDED']);
  }, 120_000);

  it('a scheduled pull applies a remote edit within the interval', async () => {
    gh.editIssue(REPO, 1, { title: 'Edited, no webhook' });
    await eventually(async () => (await titleOf('1')) === 'Edited, no webhook' || undefined, 30_000, 250);
  }, 60_000);

  it('while webhooks deliver, a scheduled pull that finds nothing new waits an hour for the next', async () => {
    const generated = await stack.post(`/connections/${connectionId}/webhook-secret`, undefined, [201]);
    gh.setWebhook(`${base}${generated.urls.github}`, generated.webhookSecret as string, { repo: REPO });
    await gh.settleWebhooks();
    expect(((await timer().query(pollerStateQuery)).nextPullAt ?? '') < new Date(Date.now() + 60_000).toISOString()).toBe(true);

    gh.editIssue(REPO, 2, { title: 'Edited, with a webhook' });
    await eventually(async () => (await titleOf('2')) === 'Edited, with a webhook' || undefined, 20_000, 100);
    // The next scheduled pull sees the edit the webhook brought: nothing new, so the timer spaces out.
    const next = await eventually(async () => {
      const at = (await timer().query(pollerStateQuery)).nextPullAt;
      return at && Date.parse(at) - Date.now() > 50 * 60_000 ? at : undefined;
    }, 30_000, 250);
    expect(Date.parse(next) - Date.now()).toBeLessThanOrEqual(3600 * 1000);
    expect((await stack.get(`/bindings/${bindingId}`) as Json).nextPullAt).toBe(next);
  }, 60_000);
});
