import { and, eq, inArray } from 'drizzle-orm';
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { tsToMs } from '@temporalio/common/lib/time';
import { outboxEvents, outboxPending } from '../db/schema';
import { pushWorkflowId } from '../workflows/contract';
import type { GitHubDouble } from '../test/support/github-double';
import type { ScenarioContext } from './scenario';
import { githubConfig, type Bound, type Stack } from './stack';

/** A story created through the hub API and pushed to the remote, with the issue it became. */
export interface PushedStory {
  id: string;
  number: number;
  /** `/repos/<repo>/issues/<number>`: the path of the PATCHes that update it. */
  path: string;
  version: number;
}

export interface PushSetup {
  stack: Stack;
  double: GitHubDouble;
  repo: string;
  bound: Bound;
  stories: PushedStory[];
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let repos = 0;

/**
 * A fresh repo bound on the shared stack (initial sync of the empty repo first), then `n` stories
 * created through `POST /projects/:id/stories` and waited for until each carries its remote issue
 * number. `baseUrl` points the connection at something else than the double (a recording proxy).
 */
export async function pushSetup(ctx: ScenarioContext, label: string, n: number, baseUrl?: string): Promise<PushSetup> {
  const [stack, double] = await Promise.all([ctx.mainStack(), ctx.github()]);
  const repo = `bench/push-${label}-${++repos}-${Math.random().toString(36).slice(2, 6)}`;
  double.createRepo(repo);
  const config = baseUrl ? { ...githubConfig(double), baseUrl } : githubConfig(double);
  const bound = await stack.bind('github', config, { token: double.token }, repo);
  const sync = await stack.initialSync(bound.bindingId, 120_000);
  if (sync.result.status !== 'completed') throw new Error(`initial sync of the empty ${repo} did not complete: ${JSON.stringify(sync.result)}`);

  ctx.log(`  ${label}: creating ${n} stories in ${repo} and waiting for their issues`);
  const created: Array<{ id: string; version: number }> = [];
  for (let i = 0; i < n; i += 10) {
    const batch = await Promise.all(Array.from({ length: Math.min(10, n - i) }, (_, j) =>
      stack.call('POST', `/projects/${bound.projectId}/stories`, { title: `${label} story ${i + j} r0` })));
    for (const s of batch) created.push({ id: s.id as string, version: s.version as number });
  }
  const numbers = new Map<string, number>();
  const deadline = Date.now() + 120_000;
  while (numbers.size < created.length) {
    if (Date.now() > deadline) throw new Error(`${created.length - numbers.size} of ${created.length} stories got no remote issue within 120 s`);
    for (const s of created.filter((c) => !numbers.has(c.id))) {
      const view = await stack.call('GET', `/stories/${s.id}`);
      const link = (view.links as Array<{ bindingId: string; remoteId: string | null }> | undefined)?.find((l) => l.bindingId === bound.bindingId);
      if (link?.remoteId) numbers.set(s.id, Number(link.remoteId));
    }
    if (numbers.size < created.length) await sleep(250);
  }
  const stories = created.map((s) => {
    const number = numbers.get(s.id)!;
    return { ...s, number, path: `/repos/${repo}/issues/${number}` };
  });
  return { stack, double, repo, bound, stories };
}

/** Story version → the hub event (its id, its time in ms, whether it waits for the relay), per story, from the outbox. */
export async function outboxTimes(stack: Stack, storyIds: string[]): Promise<Map<string, Map<number, { id: number; at: number; pending: boolean }>>> {
  const rows = storyIds.length
    ? await stack.database.db.select({ id: outboxEvents.id, storyId: outboxEvents.storyId, version: outboxEvents.storyVersion, time: outboxEvents.time, pending: outboxPending.eventId })
      .from(outboxEvents).leftJoin(outboxPending, eq(outboxPending.eventId, outboxEvents.id))
      .where(and(inArray(outboxEvents.storyId, storyIds), eq(outboxEvents.origin, 'hub')))
    : [];
  const out = new Map<string, Map<number, { id: number; at: number; pending: boolean }>>();
  for (const r of rows) {
    let m = out.get(r.storyId);
    if (!m) out.set(r.storyId, (m = new Map()));
    m.set(r.version, { id: r.id, at: r.time.getTime(), pending: r.pending !== null });
  }
  return out;
}

/** How many hub events of these stories wait for the relay. */
export async function unrelayed(stack: Stack, storyIds: string[]): Promise<number> {
  let n = 0;
  for (const m of (await outboxTimes(stack, storyIds)).values()) for (const e of m.values()) if (e.pending) n++;
  return n;
}

/**
 * Outbox event id → when Temporal recorded the relay's signal of it (ms), from the histories of every run
 * of the stories' push workflows: the moment the relay's hand-over to Temporal took effect.
 */
export async function signalTimes(client: Client, bindingId: string, storyIds: string[]): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  await Promise.all(storyIds.map(async (storyId) => {
    const workflowId = pushWorkflowId(bindingId, storyId);
    for await (const run of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
      const { events } = await client.workflow.getHandle(workflowId, run.runId).fetchHistory();
      for (const e of events ?? []) {
        const payload = e.workflowExecutionSignaledEventAttributes?.input?.payloads?.[0];
        const eventId = payload ? defaultPayloadConverter.fromPayload<{ eventId?: number }>(payload as never).eventId : undefined;
        if (eventId !== undefined) out.set(eventId, tsToMs(e.eventTime));
      }
    }
  }));
  return out;
}

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export const round1 = (x: number) => Math.round(x * 10) / 10;
