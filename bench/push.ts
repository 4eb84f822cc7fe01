import { and, eq, inArray } from 'drizzle-orm';
import { outboxEvents } from '../db/schema';
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

/** Story version → [event time, relayed_at] in ms, per story, from the outbox. */
export async function outboxTimes(stack: Stack, storyIds: string[]): Promise<Map<string, Map<number, { at: number; relayedAt: number | null }>>> {
  const rows = storyIds.length
    ? await stack.database.db.select({ storyId: outboxEvents.storyId, version: outboxEvents.storyVersion, time: outboxEvents.time, relayedAt: outboxEvents.relayedAt })
      .from(outboxEvents).where(and(inArray(outboxEvents.storyId, storyIds), eq(outboxEvents.origin, 'hub')))
    : [];
  const out = new Map<string, Map<number, { at: number; relayedAt: number | null }>>();
  for (const r of rows) {
    let m = out.get(r.storyId);
    if (!m) out.set(r.storyId, (m = new Map()));
    m.set(r.version, { at: r.time.getTime(), relayedAt: r.relayedAt?.getTime() ?? null });
  }
  return out;
}

/** Whether every hub event of these stories has been relayed. */
export async function unrelayed(stack: Stack, storyIds: string[]): Promise<number> {
  let n = 0;
  for (const m of (await outboxTimes(stack, storyIds)).values()) for (const e of m.values()) if (e.relayedAt === null) n++;
  return n;
}

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export const round1 = (x: number) => Math.round(x * 10) / 10;
