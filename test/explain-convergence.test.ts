import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { queryRows } from '../db/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from './support/scenario';
import { schedules, type Schedule } from './support/convergence-e2e/commands';
import { unexplainedWrites } from './support/convergence-e2e/explained';
import { cycle, isQuiet } from './support/convergence-e2e/quiesce';
import { githubRemote, type Remote, type Side } from './support/convergence-e2e/remotes';
import { runCommand, startWorld } from './support/convergence-e2e/world';

/**
 * Issue 15's acceptance for the explain log, on the convergence schedules (test/convergence-e2e.test.ts,
 * which runs the same check on every schedule it runs): random edits on both sides, creates, comments,
 * pulls and worker restarts, then sync cycles until quiet. Every hub write a binding made (its outbox
 * events), every remote write a push made (the push log) and every comment that came in has its
 * explain entry, and the log holds conflicts settled by policy.
 *
 * EXPLAIN_RUNS sets the number of schedules; FC_SEED / FC_PATH replay one.
 */
const RUNS = Number(process.env.EXPLAIN_RUNS ?? 3);
const seed = process.env.FC_SEED ? Number(process.env.FC_SEED) : undefined;

describe('explain log on the convergence schedules (real Temporal, Postgres, worker and API; GitHub doubles)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  async function runSchedule(schedule: Schedule): Promise<void> {
    const tag = Math.random().toString(36).slice(2, 8);
    const remotes: Partial<Record<Side, Remote>> = {};
    try {
      remotes.A = await githubRemote('A', `octo/explain-a-${tag}`);
      remotes.B = await githubRemote('B', `octo/explain-b-${tag}`);
      const w = await startWorld(stack, remotes as Record<Side, Remote>, schedule);
      for (const [i, command] of schedule.commands.entries()) await runCommand(w, command, i + 1);
      for (let i = 0; i < 5 && !isQuiet(await cycle(w)); i++);
      const missing = await unexplainedWrites(w);
      expect(missing, `${missing.join('\n')}\n--- schedule:\n${JSON.stringify(schedule)}\n--- log:\n${w.log.join('\n')}`).toEqual([]);
    } finally {
      await remotes.A?.close();
      await remotes.B?.close();
    }
  }

  it(`every field write of ${RUNS} random schedules has its explain entry`, async () => {
    // Conflicts are certain in one fixed schedule besides the random ones: both sides edit a title between syncs.
    const conflicting: Schedule = {
      policies: { A: { title: 'remote_wins' }, B: { title: 'hub_wins' } },
      initial: ['hub'],
      commands: [
        { op: 'settle' },
        { op: 'editRemote', side: 'A', item: 0, set: { title: 'A edits' } },
        { op: 'editRemote', side: 'B', item: 0, set: { title: 'B edits' } },
        { op: 'pull', side: 'A', wait: true },
        { op: 'settle' },
        { op: 'editHub', story: 0, set: { title: 'hub edits' } },
        { op: 'editRemote', side: 'B', item: 0, set: { title: 'B edits again' } },
        { op: 'pull', side: 'B', wait: true },
      ],
    };
    await runSchedule(conflicting);
    const [conflicts] = await queryRows<{ n: number }>(stack.database.db, sql`select count(*)::int as n from activity where kind = 'conflict'`);
    expect(conflicts?.n, 'conflict entries after both sides edited one title').toBeGreaterThan(0);
    const details = await fc.check(fc.asyncProperty(schedules({ A: 'github', B: 'github' }, { min: 4, max: 10 }), runSchedule), {
      numRuns: RUNS, ...(seed !== undefined ? { seed } : {}), ...(process.env.FC_PATH ? { path: process.env.FC_PATH } : {}), endOnFailure: true, timeout: 120_000,
    });
    if (details.failed) throw new Error(`replay with FC_SEED=${details.seed} FC_PATH=${details.counterexamplePath ?? ''}\n${String((details.errorInstance as Error | undefined)?.message ?? '')}`);
  }, 600_000);
});
