import { fixtureBody, fixtureTitle, prng } from '../test/support/github-fixtures';
import {
  createProject, ensureRedmine, listIssues, redmineRequest, runRedmineScript, seedIssues, stopRedmine, type Redmine,
} from '../test/support/redmine';
import type { BenchEnv } from './env';

/** The local Redmine (scripts/redmine.sh), started if it is not running, and then stopped at the end. */
export async function useRedmine(env: BenchEnv): Promise<Redmine> {
  const running = await runRedmineScript(['status'], 30_000).then(() => true, () => false);
  if (!running) env.log('  starting Redmine (scripts/redmine.sh start)');
  const redmine = await ensureRedmine();
  if (!running) env.defer('redmine', () => stopRedmine());
  return redmine;
}

/**
 * A project of `n` issues, seeded once and reused by later runs (seeding is ~30 issues/s on sqlite).
 * Realistic titles and 500-2000 character descriptions; every 5th issue has a note (a journal).
 */
export async function benchProject(env: BenchEnv, redmine: Redmine, n: number): Promise<{ identifier: string; total: number; seeded: number }> {
  const identifier = `tb-bench-${n}`;
  const found = await redmineRequest(redmine, 'GET', `/projects/${identifier}.json`, undefined, { accept: [404] });
  if (found.status === 404) await createProject(redmine, { identifier, name: `trackbridge benchmark (${n} issues)` });
  const existing = (await listIssues(redmine, { project: identifier, limit: 1 })).total_count;
  const missing = Math.max(0, n - existing);
  if (missing) {
    env.log(`  seeding ${missing} issues into Redmine project ${identifier} (kept for later runs)`);
    await seedIssues(redmine, identifier, missing, {
      withJournalsEvery: 5,
      fields: (i) => {
        const rand = prng(existing + i);
        return { subject: fixtureTitle(rand, false), description: fixtureBody(Math.floor(rand() * 2 ** 31)) };
      },
    });
  }
  return { identifier, total: existing + missing, seeded: missing };
}
