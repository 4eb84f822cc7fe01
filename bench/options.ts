import { parseArgs } from 'node:util';

export type SizeName = 'smoke' | 'small' | 'default' | 'large';

/** How big each scenario runs. Smoke checks correctness end to end and judges no timing target. */
export interface BenchSize {
  name: SizeName | 'custom';
  /** GitHub issues for P1 (throughput) and P3 (request economy). */
  issues: number;
  /** Redmine issues for P1'. */
  redmineIssues: number;
  /** P4 compares the worker's peak RSS at these two sizes. */
  memorySizes: [number, number];
  /** P2: stories edited round-robin at `rate` edits/s for `seconds`; P5: `backlogStories` × `backlogRounds` edits queued in an outage. */
  push: { stories: number; rate: number; seconds: number; backlogStories: number; backlogRounds: number };
  /** P5': `stories` × `rounds` edits queued while a real Redmine is unreachable for `seconds`. */
  outage: { stories: number; rounds: number; seconds: number };
  /** P9: many small bindings on their pull schedules. */
  fleet: FleetSize;
  judgeTargets: boolean;
}

/** P9: `bindings` repos of `issues` issues, each bound and initially synced, then watched for `windowSeconds`. */
export interface FleetSize {
  bindings: number;
  issues: number;
  windowSeconds: number;
  /** Absent: the API's default (300 s), which a user who leaves it out gets. */
  pullIntervalSeconds?: number;
  /** Binding creations and initial syncs in flight at once. */
  concurrency: number;
}

export const sizes: Record<SizeName, BenchSize> = {
  smoke: { name: 'smoke', issues: 500, redmineIssues: 50, memorySizes: [500, 2_000], push: { stories: 25, rate: 5, seconds: 5, backlogStories: 10, backlogRounds: 10 },
    outage: { stories: 10, rounds: 3, seconds: 5 },
    // 15 s pulls so that a one-minute window holds several; the default interval would show none.
    fleet: { bindings: 10, issues: 5, windowSeconds: 60, pullIntervalSeconds: 15, concurrency: 4 }, judgeTargets: false },
  small: { name: 'small', issues: 2_000, redmineIssues: 200, memorySizes: [2_000, 20_000], push: { stories: 100, rate: 20, seconds: 20, backlogStories: 50, backlogRounds: 10 },
    outage: { stories: 30, rounds: 5, seconds: 15 },
    fleet: { bindings: 100, issues: 20, windowSeconds: 600, concurrency: 8 }, judgeTargets: true },
  default: {
    name: 'default', issues: 10_000, redmineIssues: 1_000, memorySizes: [10_000, 100_000], push: { stories: 100, rate: 20, seconds: 60, backlogStories: 100, backlogRounds: 10 },
    outage: { stories: 30, rounds: 5, seconds: 15 },
    // One and a half pull intervals, so the whole scenario fits in about ten minutes on 2 cores; pull
    // timers spread their first wait over half an interval, so the window's edges cut few pulls in two.
    fleet: { bindings: 500, issues: 20, windowSeconds: 450, concurrency: 16 }, judgeTargets: true,
  },
  large: {
    name: 'large', issues: 100_000, redmineIssues: 2_000, memorySizes: [10_000, 100_000], push: { stories: 100, rate: 20, seconds: 60, backlogStories: 100, backlogRounds: 10 },
    outage: { stories: 30, rounds: 5, seconds: 15 },
    fleet: { bindings: 2_000, issues: 20, windowSeconds: 600, concurrency: 8 }, judgeTargets: true,
  },
};

export interface BenchOptions {
  size: SizeName;
  /** Overrides the GitHub issue count (P1, P3); P4 then compares n and 10n. */
  n?: number;
  redmineN?: number;
  /** Overrides P9's binding count and its window (seconds). */
  bindings?: number;
  windowSeconds?: number;
  /** Scenario ids to run (P1, P1', P3, P4…); all when absent. */
  only?: string[];
  skip?: string[];
  /** NODE_OPTIONS for the worker processes, e.g. "--max-old-space-size=128" to tell a leak from lazy GC. */
  workerNodeOptions?: string;
  /** Progress lines; silent when absent. */
  log?: (line: string) => void;
}

/** The scale a run uses, after --n, --redmine-n, --bindings and --window overrides. */
export function resolveSize(opts: Pick<BenchOptions, 'size' | 'n' | 'redmineN' | 'bindings' | 'windowSeconds'>): BenchSize {
  const base = sizes[opts.size];
  if (opts.n === undefined && opts.redmineN === undefined && opts.bindings === undefined && opts.windowSeconds === undefined) return base;
  const n = opts.n ?? base.issues;
  return {
    ...base,
    name: 'custom',
    issues: n,
    redmineIssues: opts.redmineN ?? base.redmineIssues,
    memorySizes: opts.n === undefined ? base.memorySizes : [n, n * 10],
    fleet: { ...base.fleet, bindings: opts.bindings ?? base.fleet.bindings, windowSeconds: opts.windowSeconds ?? base.fleet.windowSeconds },
  };
}

/** "P1'" and "p1r" name the same scenario. */
export const normalizeId = (id: string) => id.trim().toUpperCase().replace(/'$/, 'R');

const usage = `usage: npm run bench -- [--size smoke|small|default|large] [--n N] [--redmine-n N] [--bindings N] [--window S]
                        [--only P1,P1',P2,P3,P4,P5,P6,P9] [--skip P4] [--out bench/results.json] [--quiet]
                        [--worker-node-options=--max-old-space-size=128]`;

export interface CliOptions extends BenchOptions {
  out: string;
}

/** Parses `npm run bench -- …` arguments; throws with the usage text on a bad one. */
export function parseCli(argv: string[]): CliOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      size: { type: 'string', default: 'default' },
      n: { type: 'string' },
      'redmine-n': { type: 'string' },
      bindings: { type: 'string' },
      window: { type: 'string' },
      only: { type: 'string', multiple: true },
      skip: { type: 'string', multiple: true },
      out: { type: 'string', default: 'bench/results.json' },
      quiet: { type: 'boolean', default: false },
      'worker-node-options': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) throw new Error(usage);
  if (!(values.size in sizes)) throw new Error(`unknown --size ${values.size}\n${usage}`);
  const count = (flag: string, v: string | undefined, min = 10) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${flag} must be an integer ≥ ${min}, got ${v}\n${usage}`);
    return n;
  };
  const list = (v: string[] | undefined) => v?.flatMap((s) => s.split(',')).filter(Boolean).map(normalizeId);
  const n = count('n', values.n);
  const redmineN = count('redmine-n', values['redmine-n']);
  const bindings = count('bindings', values.bindings, 1);
  const windowSeconds = count('window', values.window, 30);
  const only = list(values.only);
  const skip = list(values.skip);
  return {
    size: values.size as SizeName,
    out: values.out,
    ...(n !== undefined ? { n } : {}),
    ...(redmineN !== undefined ? { redmineN } : {}),
    ...(bindings !== undefined ? { bindings } : {}),
    ...(windowSeconds !== undefined ? { windowSeconds } : {}),
    ...(only ? { only } : {}),
    ...(skip ? { skip } : {}),
    ...(values['worker-node-options'] ? { workerNodeOptions: values['worker-node-options'] } : {}),
    ...(values.quiet ? {} : { log: (line: string) => process.stderr.write(`${line}\n`) }),
  };
}
