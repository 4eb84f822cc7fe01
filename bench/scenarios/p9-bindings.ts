import { randomBytes } from 'node:crypto';
import { and, count, inArray, isNull } from 'drizzle-orm';
import { stories } from '../../db/schema';
import { startGitHubDouble, type GitHubDouble } from '../../test/support/github-double';
import { actionDelta, countActions, listExecutions, outsideHistory, serverActions, type TimeWindow } from '../actions';
import { bounded, createFleet, editFleet, landingStats, type Fleet } from '../fleet';
import { perBinding, probeQuietPull, pullRuns, sumOf } from '../fleet-costs';
import { percentile } from '../history';
import type { FleetSize } from '../options';
import { cpuSeconds, watchConnections } from '../process-stats';
import type { Recorder, Scenario, ScenarioContext } from '../scenario';
import { openStack, type Stack } from '../stack';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
const round = (v: number, digits = 1) => Math.round(v * 10 ** digits) / 10 ** digits;
const ratio = (a: number, b: number) => (b ? a / b : NaN);

/** Binds the fleet through the API and runs its initial syncs, `concurrency` at a time. */
async function syncFleet(ctx: ScenarioContext, stack: Stack, double: GitHubDouble, size: FleetSize, rec: Recorder): Promise<Fleet> {
  const t0 = Date.now();
  const fleet = await createFleet(stack, double, size, randomBytes(2).toString('hex').toUpperCase());
  const created = Date.now();
  ctx.log(`  P9: ${size.bindings} bindings created through the API in ${Math.round((created - t0) / 1000)} s (pull interval ${fleet.pullIntervalSeconds} s); initial syncs, ${size.concurrency} at a time`);
  const syncs = await bounded(fleet.bindings, size.concurrency, (b) => stack.initialSync(b.bindingId, 120_000));
  const synced = Date.now();
  const [row] = await stack.database.db.select({ n: count() }).from(stories)
    .where(and(inArray(stories.projectId, fleet.bindings.map((b) => b.projectId)), isNull(stories.deletedAt)));
  const failed = syncs.filter((s) => s.result.status !== 'completed');
  rec.check('every binding initially synced', failed.length === 0, JSON.stringify(failed.slice(0, 3).map((s) => s.result)));
  rec.check(`${size.bindings * size.issues} stories on the hub`, row?.n === size.bindings * size.issues, `${row?.n}`);
  rec.metric('initial syncs', round(size.bindings / ((synced - created) / 1000), 2), 'bindings/s');
  rec.breakdown('setup', { ...size, pullIntervalSeconds: fleet.pullIntervalSeconds, createMs: created - t0, initialSyncMs: synced - created });
  ctx.log(`  P9: initial syncs done in ${Math.round((synced - created) / 1000)} s`);
  return fleet;
}

/** Today's figure for one quiet pull, through "pull now". */
async function recordProbe(ctx: ScenarioContext, stack: Stack, double: GitHubDouble, fleet: Fleet, rec: Recorder) {
  ctx.log('  P9: a quiet "pull now" through the API');
  const probe = await probeQuietPull(ctx.env, stack, double, fleet);
  const [request] = probe.requests;
  rec.check('quiet pull now: one conditional request answered 304', probe.requests.length === 1 && request?.status === 304 && request.conditional,
    JSON.stringify(probe.requests.map((r) => `${r.method} ${r.path} ${r.status}`)));
  rec.metric('quiet pull now: billable actions (histories + what only the server counts)', probe.total, 'actions');
  rec.metric('quiet pull now: billable actions in histories', probe.history, 'actions');
  rec.metric('quiet pull now: history events of the pull', probe.pull?.runEvents ?? 0, 'events');
  rec.metric('quiet pull now: history bytes of the pull', probe.pull?.runBytes ?? 0, 'B');
  rec.breakdown('quiet pull now', probe.breakdown);
  return probe;
}

/**
 * The window: remote edits at 1% of the issues a minute (at least 12) until one pull interval (and a
 * margin) before it closes, so each edit's next pull falls inside it; worker CPU, memory, Postgres
 * connections and the server's action counter read at both ends.
 */
async function watchWindow(ctx: ScenarioContext, stack: Stack, double: GitHubDouble, fleet: Fleet, size: FleetSize) {
  const interval = fleet.pullIntervalSeconds;
  const window: TimeWindow = { from: Date.now(), to: Date.now() + size.windowSeconds * 1000 };
  const editsUntil = window.to - (interval + 15) * 1000;
  const perMinute = Math.max(12, Math.round((size.bindings * size.issues) / 100));
  ctx.log(`  P9: ${size.windowSeconds} s window; ${perMinute} remote edits a minute for ${Math.round((editsUntil - window.from) / 1000)} s`);
  const cpu = cpuSeconds(stack.worker.pid);
  const memory = stack.worker.watchMemory();
  const connections = watchConnections(stack.database.db, stack.database.name, { worker: stack.worker.pid, 'API and bench': process.pid });
  const before = await serverActions(ctx.env.temporalMetricsUrl);
  const editor = editFleet(stack, double, fleet, perMinute, editsUntil);
  for (let t = Date.now(); t < window.to; t = Date.now()) {
    await sleep(Math.min(60_000, window.to - t));
    ctx.log(`  P9: ${Math.round((Date.now() - window.from) / 1000)} s of ${size.windowSeconds} s, ${editor.edits.length} edits`);
  }
  const measured = {
    cpuSeconds: cpuSeconds(stack.worker.pid) - cpu, memory: memory.stop(), connections: await connections.stop(),
    serverActions: actionDelta(before, await serverActions(ctx.env.temporalMetricsUrl)),
  };
  await editor.settle(Date.now() + (interval + 30) * 1000);
  const lookError = await editor.stop();
  return { window, perMinute, editsUntil, measured, edits: editor.edits, lookError };
}

/** Bills the window's histories, matches them to the fleet's pulls and records everything. */
async function recordWindow(ctx: ScenarioContext, stack: Stack, double: GitHubDouble, fleet: Fleet, size: FleetSize, rec: Recorder, probeTotal: string) {
  const { window, perMinute, editsUntil, measured, edits, lookError } = await watchWindow(ctx, stack, double, fleet, size);
  const interval = fleet.pullIntervalSeconds;
  await sleep(2000); // visibility indexes the last closes
  const executions = await listExecutions(ctx.env.client, window, { taskQueue: stack.worker.taskQueue });
  const counted = await countActions(ctx.env.client, executions, window);
  const outside = outsideHistory(measured.serverActions);
  const requests = double.requests().filter((r) => r.at >= window.from && r.at < window.to);
  // Actions count by event time and pulls by run-row start, so a pull straddling an edge splits: the window spans
  // whole intervals (the same phase at both edges, where the splits offset), and pulls spread in time keep the rest small.
  const pulls = await pullRuns(stack, fleet, window);
  const byBinding = perBinding(counted, pulls, requests, fleet);
  const edited = new Set(edits.map((e) => e.bindingId));
  const all = sumOf(byBinding.values());
  const quiet = sumOf([...byBinding].filter(([b]) => !edited.has(b)).map(([, t]) => t));
  const landing = landingStats(edits);
  const durations = pulls.filter((p) => p.finishedAt).map((p) => p.finishedAt!.getTime() - p.startedAt.getTime()).sort((x, y) => x - y);
  const perSecond = new Map<number, number>();
  for (const p of pulls) perSecond.set(Math.floor(p.startedAt.getTime() / 1000), (perSecond.get(Math.floor(p.startedAt.getTime() / 1000)) ?? 0) + 1);
  const busiestSecond = Math.max(0, ...perSecond.values());
  const bindingHours = (size.bindings * size.windowSeconds) / 3600;
  const actions = counted.actions + outside.actions;
  const heartbeatsPerPull = ratio(outside.byType.record_activity_heartbeat ?? 0, pulls.length) || 0;

  const unpulled = [...byBinding].filter(([, t]) => t.pulls === 0).length;
  rec.check('every binding pulled during the window', unpulled === 0, `${unpulled} of ${size.bindings} never pulled`);
  rec.check('every remote edit reached the hub', landing.missing === 0 && landing.edits > 0, `${landing.landed} of ${landing.edits} landed${lookError ? `; last look failed: ${String(lookError)}` : ''}`);
  rec.check('the histories bill every pull (an action at least)', all.actions >= all.pulls, `${all.actions} actions for ${all.pulls} pulls`);

  rec.metric('remote requests per binding-hour', round(requests.length / bindingHours), 'req');
  rec.metric('remote requests per quiet pull', round(ratio(quiet.requests, quiet.pulls), 2), 'req');
  rec.metric('billable Temporal actions per binding-hour', round(actions / bindingHours), 'actions', { op: '<=', value: 24 });
  rec.metric('billable actions per pull (all pulls of the window)', round(ratio(actions, pulls.length)), 'actions');
  // Heartbeats are the server's count over all pulls, shared out evenly.
  rec.metric('billable actions per quiet pull (bindings with no edit)', round(ratio(quiet.actions, quiet.pulls) + heartbeatsPerPull), 'actions', { op: '<=', value: 2 });
  // What the bindings' histories grew by in the window, per pull: a pull's own run, or its share of a long-lived timer's.
  rec.metric('history events per pull', round(ratio(all.events, all.pulls)), 'events');
  rec.metric('history bytes per pull', Math.round(ratio(all.bytes, all.pulls)), 'B');
  rec.metric('pull duration p50 (run row, start to finish)', Math.round(percentile(durations, 50)), 'ms');
  rec.metric('pull duration p99 (run row, start to finish)', Math.round(percentile(durations, 99)), 'ms');
  rec.metric('worker CPU per binding-hour', round(measured.cpuSeconds / bindingHours, 2), 's');
  rec.metric('worker RSS over the window, peak', measured.memory.peakMb, 'MiB');
  rec.metric('worker RSS over the window, median', measured.memory.medianMb, 'MiB');
  for (const [who, n] of Object.entries(measured.connections.peak)) rec.metric(`Postgres connections, ${who} (peak)`, n, 'conn');
  rec.metric('remote edit to hub, p50', landing.p50, 's');
  rec.metric('remote edit to hub, p99', landing.p99, 's', { op: '<=', value: interval + 5 });

  rec.breakdown('window', {
    seconds: size.windowSeconds, bindingHours: round(bindingHours, 3), executions: executions.length, pulls: pulls.length,
    failedPulls: pulls.filter((p) => p.status !== 'completed').length, quietBindings: size.bindings - edited.size, quiet, all, busiestSecond,
  });
  rec.breakdown('actions', {
    total: actions, fromHistories: counted.actions, byType: { ...counted.byType, ...outside.byType },
    heartbeatsPerPull: round(heartbeatsPerPull, 2), historyEventsInWindow: counted.events, historyBytesInWindow: counted.historyBytes,
    // The open-source server's own count (it bills a Schedule's internal workflow too): a cross-check, not the bill.
    serverMetricDelta: measured.serverActions,
  });
  rec.breakdown('requests', { total: requests.length, statuses: requests.reduce<Record<string, number>>((acc, r) => ({ ...acc, [r.status]: (acc[r.status] ?? 0) + 1 }), {}) });
  rec.breakdown('worker', { cpuSeconds: round(measured.cpuSeconds, 2), memory: measured.memory, pid: stack.worker.pid });
  rec.breakdown('postgres connections', measured.connections);
  rec.breakdown('edits', { perMinute, ...landing });

  rec.note(`${size.bindings} bindings × ${size.issues} issues, pull interval ${interval} s${size.pullIntervalSeconds === undefined ? ' (the API default)' : ''}, `
    + `${size.windowSeconds} s window on a fresh worker; ${perMinute} remote edits/min (1% of issues, at least 12) during its first ${Math.round((editsUntil - window.from) / 1000)} s`);
  const perPullByType = Object.entries({ ...counted.byType, ...outside.byType }).map(([k, v]) => `${k} ${round(v / Math.max(1, pulls.length), 2)}`).join(', ');
  rec.note(`Actions follow Temporal Cloud's published rules (bench/actions.ts, https://docs.temporal.io/cloud/actions); heartbeats and the other actions `
    + `no history shows come from the dev server's action metric. Per pull in the window: ${perPullByType}. ${probeTotal}`);
  rec.note(`Pulls bunch: up to ${busiestSecond} started in one second (bindings on one interval: a Schedule fires at the same instant for all `
    + 'of them, and timers started together stay together), so the worker takes them in bursts.');
  const perToken = Math.round((requests.length / bindingHours) * size.bindings);
  rec.note(`One token for all ${size.bindings} bindings needs ${perToken.toLocaleString('en-US')} requests an hour at this rate; GitHub gives a token 5,000 (the double's budget was raised so it measures the engine, not the limit).`);
  if (landing.stampAheadMaxS > 5) rec.note(`The double stamps every change a second of its own, so at ${perMinute} edits/min its updated_at ran up to ${landing.stampAheadMaxS} s ahead of the clock.`);
  rec.note('The dev server, Postgres, the worker and the bench share the machine\'s cores, and other benches may run too (see machine.loadBefore/loadAfter).');
}

/** P9: many small bindings on their pull schedules, each costed per binding-hour. */
export const p9: Scenario = {
  id: 'P9',
  title: 'Many bindings on the default pull interval: cost per binding-hour (GitHub double)',
  async run(ctx, rec) {
    const size = ctx.size.fleet;
    // Its own double (its request log is P9's alone; a budget no fleet exhausts) and its own stack (a fresh
    // worker, whose CPU, memory and connections are the fleet's).
    const double = await startGitHubDouble({ rateLimit: 100_000_000 });
    ctx.env.defer('P9 GitHub double', () => double.close());
    ctx.log('  P9: opening a stack of its own');
    const stack = await openStack(ctx.env, double);
    let fleet: Fleet | undefined;
    try {
      fleet = await syncFleet(ctx, stack, double, size, rec);
      const probe = await recordProbe(ctx, stack, double, fleet, rec);
      const probeTotal = `A quiet "pull now" cost ${probe.total} (${probe.history} in histories${probe.outside ? '' : '; what only the server counts was not attributable'}).`;
      await recordWindow(ctx, stack, double, fleet, size, rec, probeTotal);
    } finally {
      // Delete the fleet's bindings (and what times their pulls), so nothing keeps firing at a task queue no worker polls.
      if (fleet) await bounded(fleet.bindings, 8, (b) => stack.call('DELETE', `/bindings/${b.bindingId}`).catch(() => undefined));
      await stack.close();
    }
  },
};
