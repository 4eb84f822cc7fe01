import { startGitHubDouble } from '../../test/support/github-double';
import { syncGitHubRepo } from '../github-sync';
import type { GitHubSync, Scenario, ScenarioContext } from '../scenario';
import { BENCH_GITHUB_BUDGET, openStack } from '../stack';

/** A clean reading of `n`: reused from P1 when it ran first on its worker, else a fresh worker, database and double. */
async function measure(ctx: ScenarioContext, n: number): Promise<Pick<GitHubSync, 'n' | 'run' | 'memory'>> {
  const earlier = ctx.existingSync(n);
  const reused = earlier && (await earlier);
  if (reused?.cleanMemory) {
    ctx.log(`  ${n}: reusing the reading of the shared initial sync`);
    return reused;
  }
  ctx.log(`  ${n}: fresh worker process, database and GitHub double`);
  const double = await startGitHubDouble({ rateLimit: BENCH_GITHUB_BUDGET });
  try {
    const stack = await openStack(ctx.env, double);
    try {
      return await syncGitHubRepo(ctx.env, stack, double, n);
    } finally {
      await stack.close();
    }
  } finally {
    await double.close();
  }
}

/** P4: the worker's peak RSS during an initial sync should not grow with the number of issues. */
export const p4: Scenario = {
  id: 'P4',
  title: 'Worker memory during initial sync',
  async run(ctx, rec) {
    const [small, large] = ctx.size.memorySizes;
    const readings = [];
    for (const n of [small, large]) {
      const r = await measure(ctx, n);
      rec.check(`${n}: all stories created`, r.run.result.status === 'completed' && r.run.result.counts.created === n, JSON.stringify(r.run.result.counts));
      rec.metric(`worker RSS at ${n}: peak`, r.memory.peakMb, 'MiB');
      rec.metric(`worker RSS at ${n}: median during the sync`, r.memory.medianMb, 'MiB');
      rec.breakdown(String(n), {
        syncMs: Math.round(r.run.ms), itemsPerSecond: Math.round(n / (r.run.ms / 1000)),
        rssBeforeMb: r.memory.startMb, peakRssMb: r.memory.peakMb, medianRssMb: r.memory.medianMb, rssAfterMb: r.memory.endMb, vmHwmMb: r.memory.hwmMb, samples: r.memory.samples,
        rssSeries: r.memory.series,
      });
      readings.push(r);
    }
    const [a, b] = readings as [Pick<GitHubSync, 'memory'>, Pick<GitHubSync, 'memory'>];
    const ratio = (x: number, y: number) => Math.round((x / y) * 100) / 100;
    rec.metric(`peak RSS ratio ${large}/${small}`, ratio(b.memory.peakMb, a.memory.peakMb), 'x', { op: '<=', value: 1.2 });
    rec.metric(`median RSS ratio ${large}/${small}`, ratio(b.memory.medianMb, a.memory.medianMb), 'x');
    rec.note(`RSS sampled every 100 ms from /proc/<pid>/status of the worker process (scripts/worker.ts), from the start of the sync to its end, after a 50-issue warm-up sync; `
      + `VmHWM (${a.memory.hwmMb} / ${b.memory.hwmMb} MiB) also counts bundling the workflows at start; the RSS curve is in results.json (breakdown.rssSeries)`);
  },
};
