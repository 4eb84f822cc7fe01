import type { GitHubDouble } from '../test/support/github-double';
import type { BenchEnv } from './env';
import type { SyncBreakdown } from './history';
import type { BenchSize } from './options';
import type { Bound, Stack, SyncRun } from './stack';
import type { MemoryReading } from './worker-process';

export interface Target {
  op: '>=' | '<=';
  value: number;
  /** null when not judged (smoke size) or not measurable. */
  met: boolean | null;
}

export interface Metric {
  name: string;
  value: number;
  unit: string;
  target?: Target;
  /** A regression gate: judged at every size, smoke included; a miss fails the scenario (and CI). */
  gate?: Target;
}

export interface Check {
  name: string;
  ok: boolean;
  detail?: string;
}

export interface ScenarioResult {
  id: string;
  title: string;
  /** failed: the scenario crashed or a correctness check failed; pending: not implemented yet. */
  status: 'ok' | 'failed' | 'pending';
  metrics: Metric[];
  checks: Check[];
  notes: string[];
  /** Stage timings and raw numbers behind the metrics. */
  breakdown: Record<string, unknown>;
  durationMs: number;
  error?: string;
}

/** What a scenario records; a failed check fails the run, a missed target only shows in the table. */
export interface Recorder {
  /**
   * `target`: the goal, judged at sizes that judge targets. `gate`: a floor that fails the run at any
   * size. Gates go only on ratios measured side by side in one run, or on counts: never on a time
   * taken alone, which a noisy machine moves.
   */
  metric(name: string, value: number, unit: string, target?: { op: Target['op']; value: number }, gate?: { op: Target['op']; value: number }): void;
  check(name: string, ok: boolean, detail?: string): void;
  note(text: string): void;
  breakdown(key: string, value: unknown): void;
}

/** An initial sync of a seeded GitHub double repo, with what was measured along the way. */
export interface GitHubSync {
  stack: Stack;
  double: GitHubDouble;
  repo: string;
  n: number;
  bound: Bound;
  run: SyncRun;
  history: SyncBreakdown;
  memory: MemoryReading;
  /** The sync was the first big one of its worker process, so its memory reading is its own. */
  cleanMemory: boolean;
}

export interface ScenarioContext {
  env: BenchEnv;
  size: BenchSize;
  log(line: string): void;
  /** The double P1 and P3 share. */
  github(): Promise<GitHubDouble>;
  /** The stack P1, P3 and P1' share (created and warmed up on first use). */
  mainStack(): Promise<Stack>;
  /** An initial sync of `n` issues on the main stack, run once and shared between scenarios. */
  githubSync(n: number): Promise<GitHubSync>;
  /** An earlier githubSync(n), if one ran. */
  existingSync(n: number): Promise<GitHubSync> | undefined;
}

export interface Scenario {
  /** P1, P1R (shown as P1'), P3… */
  id: string;
  title: string;
  /** Set for scenarios that wait on product work; they show in the table but do not run. */
  pending?: string;
  run(ctx: ScenarioContext, rec: Recorder): Promise<void>;
}

export const displayId = (id: string) => id.replace(/R$/, "'");
