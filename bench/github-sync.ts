import type { GitHubDouble } from '../test/support/github-double';
import type { BenchEnv } from './env';
import { syncBreakdown } from './history';
import type { GitHubSync } from './scenario';
import { githubConfig, type Stack } from './stack';

/**
 * The fixture every GitHub scenario uses: realistic issues (500-2000 character bodies, labels,
 * assignees, 40% closed) without pull requests or comments, so story count = issue count and the
 * listing alone is what is timed. Comments would add one request per commented issue on both sides.
 */
export const seedOptions = { pullRequestRatio: 0, commentRatio: 0, seed: 1 } as const;

export const repoFor = (n: number) => `bench/issues-${n}`;

/** Seeds `n` issues into `repo`, binds them and times trackbridge's initial sync, sampling the worker's RSS. */
export async function syncGitHubRepo(env: BenchEnv, stack: Stack, double: GitHubDouble, n: number, repo = repoFor(n)): Promise<GitHubSync> {
  env.log(`  seeding ${n} issues into the GitHub double (${repo})`);
  double.seedIssues(repo, n, seedOptions);
  const bound = await stack.bind('github', githubConfig(double), { token: double.token }, repo);
  const cleanMemory = stack.worker.syncs === 0;
  stack.worker.syncs++;
  env.log(`  initial sync of ${n} issues (worker pid ${stack.worker.pid})`);
  const watch = stack.worker.watchMemory();
  // Anything slower than 100 items/s is broken, not slow.
  const run = await stack.initialSync(bound.bindingId, 60_000 + n * 10).catch((err: unknown) => {
    watch.stop();
    throw err;
  });
  const memory = watch.stop();
  env.log(`  done in ${(run.ms / 1000).toFixed(1)} s (${Math.round(n / (run.ms / 1000))} items/s), worker peak RSS ${memory.peakMb} MiB`);
  const history = await syncBreakdown(env.client, run.workflowId, run.firstRunId);
  return { stack, double, repo, n, bound, run, history, memory, cleanMemory };
}
