import { cpus, loadavg, totalmem } from 'node:os';
import { startGitHubDouble, type GitHubDouble } from '../test/support/github-double';
import { openBenchEnv } from './env';
import { syncGitHubRepo } from './github-sync';
import { normalizeId, resolveSize, type BenchOptions, type BenchSize } from './options';
import type { GitHubSync, Recorder, Scenario, ScenarioContext, ScenarioResult } from './scenario';
import { scenarios as registry } from './scenarios';
import { BENCH_GITHUB_BUDGET, MAX_REQUESTS_PER_SECOND, openStack, type Stack } from './stack';

export interface BenchReport {
  date: string;
  size: BenchSize;
  /** loadBefore/loadAfter: 1-minute load averages; other work on the machine skews every number. */
  machine: { nproc: number; memGiB: number; cpu: string; node: string; loadBefore: number; loadAfter: number };
  notes: string[];
  scenarios: ScenarioResult[];
  /** False when a scenario crashed or a correctness check failed. Missed timing targets never fail a run. */
  ok: boolean;
  durationMs: number;
}

export interface RunBenchOptions extends BenchOptions {
  /** Admin URL of the Postgres server; each run creates and drops its own databases. */
  pgAdminUrl?: string;
  /** Aborting stops the run and cleans up (the CLI wires SIGINT to it). */
  signal?: AbortSignal;
}

const DEFAULT_PG = 'postgres://postgres@127.0.0.1:5432/postgres';

function select(opts: BenchOptions): Scenario[] {
  const only = opts.only?.map(normalizeId);
  const skip = new Set(opts.skip?.map(normalizeId));
  const unknown = [...(only ?? []), ...skip].filter((id) => !registry.some((s) => s.id === id));
  if (unknown.length) throw new Error(`unknown scenario ${unknown.join(', ')} (have ${registry.map((s) => s.id).join(', ')})`);
  return registry.filter((s) => (only ? only.includes(s.id) : true) && !skip.has(s.id));
}

function recorder(result: ScenarioResult, judge: boolean): Recorder {
  return {
    metric(name, value, unit, target, gate) {
      const meets = (t: { op: '>=' | '<='; value: number }) => (t.op === '>=' ? value >= t.value : value <= t.value);
      const met = target && judge ? meets(target) : null;
      result.metrics.push({ name, value, unit, ...(target ? { target: { ...target, met } } : {}), ...(gate ? { gate: { ...gate, met: meets(gate) } } : {}) });
      if (gate) result.checks.push({ name: `regression gate: ${name} ${gate.op} ${gate.value}`, ok: meets(gate), detail: `${value} ${unit}` });
    },
    check(name, ok, detail) {
      result.checks.push({ name, ok, ...(detail !== undefined ? { detail } : {}) });
    },
    note: (text) => void result.notes.push(text),
    breakdown: (key, value) => void (result.breakdown[key] = value),
  };
}

/**
 * Runs the selected scenarios against a Temporal dev server started here, the local Postgres and a
 * worker process, and returns what they measured. Everything started is stopped and every database
 * dropped, also on failure. `runBench({ size: 'smoke' })` is the CI smoke run.
 */
export async function runBench(opts: RunBenchOptions): Promise<BenchReport> {
  const started = Date.now();
  const size = resolveSize(opts);
  const chosen = select(opts);
  const log = opts.log ?? (() => undefined);
  const stamp = () => `[bench ${String(Math.round((Date.now() - started) / 1000)).padStart(4)} s]`;
  const say = (line: string) => log(`${stamp()} ${line}`);
  const report: BenchReport = {
    date: new Date().toISOString(),
    size,
    machine: {
      nproc: cpus().length, memGiB: Math.round(totalmem() / 2 ** 30), cpu: cpus()[0]?.model ?? '?', node: process.version,
      loadBefore: Math.round(loadavg()[0]! * 100) / 100, loadAfter: 0,
    },
    notes: [
      `Connections use maxRequestsPerSecond = ${MAX_REQUESTS_PER_SECOND} (the connectors' maximum), so the request pacer is not what is measured.`,
      'Each worker runs as its own process (scripts/worker.ts) against a real Temporal dev server and Postgres.',
      `The GitHub double's token budget is ${BENCH_GITHUB_BUDGET.toLocaleString('en-US')} requests an hour, not GitHub's 5,000: the scenarios share one token and make more than that, and the bench measures the engine, not the limit.`,
      "The API's rate limit is off for the bench (limits.ratePerMinute = 0): one bench token drives thousands of edits a minute, and the limiter would refuse them (RATE_LIMIT_PER_MINUTE is 1,200 a minute per token by default).",
      ...(opts.workerNodeOptions ? [`Workers ran with NODE_OPTIONS=${opts.workerNodeOptions}.`] : []),
    ],
    scenarios: [],
    ok: true,
    durationMs: 0,
  };

  const runnable = chosen.filter((s) => !s.pending);
  const env = runnable.length ? await openBenchEnv({ pgAdminUrl: opts.pgAdminUrl ?? DEFAULT_PG, log: say, workerNodeOptions: opts.workerNodeOptions }) : undefined;
  const onAbort = () => {
    say('aborted: cleaning up');
    void env?.dispose();
  };
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    let double: Promise<GitHubDouble> | undefined;
    let stack: Promise<Stack> | undefined;
    const syncs = new Map<number, Promise<GitHubSync>>();
    const ctx: ScenarioContext | undefined = env && {
      env,
      size,
      log: say,
      github: () => (double ??= startGitHubDouble({ rateLimit: BENCH_GITHUB_BUDGET }).then((d) => {
        env.defer('github double', () => d.close());
        return d;
      })),
      mainStack: () => (stack ??= ctx!.github().then((d) => {
        say('opening the shared stack: database, worker process, warm-up sync');
        return openStack(env, d);
      })),
      githubSync(n) {
        let sync = syncs.get(n);
        if (!sync) {
          sync = Promise.all([ctx!.mainStack(), ctx!.github()]).then(([s, d]) => syncGitHubRepo(env, s, d, n));
          syncs.set(n, sync);
        }
        return sync;
      },
      existingSync: (n) => syncs.get(n),
    };

    for (const scenario of chosen) {
      const result: ScenarioResult = { id: scenario.id, title: scenario.title, status: 'ok', metrics: [], checks: [], notes: [], breakdown: {}, durationMs: 0 };
      report.scenarios.push(result);
      if (scenario.pending) {
        result.status = 'pending';
        result.notes.push(scenario.pending);
        continue;
      }
      if (opts.signal?.aborted) throw new Error('aborted');
      say(`${scenario.id}: ${scenario.title}`);
      const t0 = Date.now();
      try {
        await scenario.run(ctx!, recorder(result, size.judgeTargets));
      } catch (err) {
        result.status = 'failed';
        const worker = await stack?.then((s) => s.worker.output().slice(-1500), () => '');
        result.error = `${(err as Error).stack ?? String(err)}${worker ? `\nshared worker's last output:\n${worker}` : ''}`;
        say(`${scenario.id} crashed: ${(err as Error).message}`);
      }
      if (result.checks.some((c) => !c.ok)) result.status = 'failed';
      result.durationMs = Date.now() - t0;
      say(`${scenario.id}: ${result.status} in ${Math.round(result.durationMs / 1000)} s`);
    }
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    say('cleaning up');
    await env?.dispose();
  }
  report.machine.loadAfter = Math.round(loadavg()[0]! * 100) / 100;
  report.ok = report.scenarios.every((s) => s.status !== 'failed');
  report.durationMs = Date.now() - started;
  return report;
}
