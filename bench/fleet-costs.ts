import { and, eq, gte, inArray, lt } from 'drizzle-orm';
import { runs } from '../db/schema';
import type { GitHubDouble, RequestRecord } from '../test/support/github-double';
import { actionDelta, countActions, listExecutions, outsideHistory, serverActions, type ActionCount, type RunActions, type TimeWindow } from './actions';
import type { BenchEnv } from './env';
import type { Fleet } from './fleet';
import type { Stack, SyncRun } from './stack';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
const BINDING_IN_ID = /^[a-z-]+\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/;
/** Every workflow id names its binding right after its kind (DESIGN.md, Operators). */
export const bindingOf = (run: RunActions) => BINDING_IN_ID.exec(run.workflowId)?.[1];

/** "Pull now", tried again while a timed pull of the same binding holds it. */
async function pullNow(stack: Stack, bindingId: string): Promise<SyncRun> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await stack.pull(bindingId);
    } catch (err) {
      if (attempt >= 20 || !/queued/.test((err as Error).message)) throw err;
      await sleep(1000);
    }
  }
}

/**
 * One quiet pull the way an operator's "pull now" runs it (API, Temporal, worker, double): what the
 * binding's executions billed meanwhile (the pull, and whatever times it), plus what the server alone
 * counted (heartbeats, schedule calls), which is the pull's own when no other binding's workflow moved
 * meanwhile; otherwise it is left out and `outside` is undefined.
 */
export async function probeQuietPull(env: BenchEnv, stack: Stack, double: GitHubDouble, fleet: Fleet) {
  const { bindingId, repo } = fleet.bindings[0]!;
  await pullNow(stack, bindingId); // the first pull after an initial sync may still read a page
  await sleep(1500); // its last heartbeats reach the metric before the probe's start is read
  const window = { from: Date.now(), to: 0 };
  const before = await serverActions(env.temporalMetricsUrl);
  const run = await pullNow(stack, bindingId);
  await sleep(1500); // the probe's last heartbeats reach the metric
  const after = await serverActions(env.temporalMetricsUrl);
  window.to = Date.now();
  await sleep(1000); // visibility indexes the close
  const all = await countActions(env.client, await listExecutions(env.client, window, { taskQueue: stack.worker.taskQueue }), window);
  const mine = all.runs.filter((r) => bindingOf(r) === bindingId && r.events > 0);
  const others = all.runs.filter((r) => bindingOf(r) !== bindingId && r.events > 0);
  const pull = mine.find((r) => r.runId === run.firstRunId);
  // The probe's own requests: a binding never runs two pulls at once, so a timed one cannot interleave.
  const [from, to] = pull?.closedAt ? [pull.startedAt, pull.closedAt + 1] : [window.from, window.to];
  const requests = double.requests().filter((r) => r.at >= from && r.at < to && r.path.includes(`/${repo}/`));
  const delta = actionDelta(before, after);
  const outside = others.length === 0 ? outsideHistory(delta) : undefined;
  const history = mine.reduce((a, r) => a + r.actions, 0);
  const byType: Record<string, number> = {};
  for (const r of mine) for (const [k, v] of Object.entries(r.byType)) byType[k] = (byType[k] ?? 0) + v;
  return {
    run, requests, pull, history, outside, total: history + (outside?.actions ?? 0),
    breakdown: {
      workflowId: run.workflowId, ms: Math.round(run.ms), result: run.result, history: byType,
      executions: mine.map((r) => ({ workflowId: r.workflowId, actions: r.actions, events: r.events })),
      outsideHistory: outside?.byType ?? `not attributable, so not counted: ${others.length} other executions moved meanwhile`,
      serverMetricDelta: delta,
    },
  };
}

/** The window's pulls as the product records them: one `runs` row each (a skipped pull writes none). */
export async function pullRuns(stack: Stack, fleet: Fleet, window: TimeWindow) {
  return stack.database.db.select({ bindingId: runs.bindingId, startedAt: runs.startedAt, finishedAt: runs.finishedAt, status: runs.status }).from(runs)
    .where(and(eq(runs.kind, 'pull'), gte(runs.startedAt, new Date(window.from)), lt(runs.startedAt, new Date(window.to)),
      inArray(runs.bindingId, fleet.bindings.map((b) => b.bindingId))));
}

export interface Totals { pulls: number; actions: number; events: number; bytes: number; requests: number }

/**
 * Per binding: its pulls, what its executions billed and wrote to history in the window (a pull's own
 * run, or its share of a long-lived timer's), and the remote requests on its repo.
 */
export function perBinding(count: ActionCount, pulls: Array<{ bindingId: string | null }>, requests: RequestRecord[], fleet: Fleet): Map<string, Totals> {
  const byBinding = new Map<string, Totals>(fleet.bindings.map((b) => [b.bindingId, { pulls: 0, actions: 0, events: 0, bytes: 0, requests: 0 }]));
  for (const p of pulls) if (p.bindingId) byBinding.get(p.bindingId)!.pulls++;
  for (const run of count.runs) {
    const totals = byBinding.get(bindingOf(run) ?? '');
    if (!totals) continue;
    totals.actions += run.actions;
    totals.events += run.events;
    totals.bytes += run.historyBytes;
  }
  const bindingOfRepo = new Map(fleet.bindings.map((b) => [b.repo, b.bindingId]));
  for (const r of requests) {
    const repo = /^\/repos\/([^/]+\/[^/]+)\//.exec(r.path)?.[1];
    const totals = repo ? byBinding.get(bindingOfRepo.get(repo) ?? '') : undefined;
    if (totals) totals.requests++;
  }
  return byBinding;
}

export function sumOf(list: Iterable<Totals>): Totals {
  const out = { pulls: 0, actions: 0, events: 0, bytes: 0, requests: 0 };
  for (const t of list) for (const k of Object.keys(out) as Array<keyof Totals>) out[k] += t[k];
  return out;
}
