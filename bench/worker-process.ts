import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const workerScript = fileURLToPath(new URL('../scripts/worker.ts', import.meta.url));

export interface MemoryReading {
  /** VmRSS when the window opened, MiB. */
  startMb: number;
  /** Highest VmRSS sampled while the window was open, MiB. */
  peakMb: number;
  /** Median of the samples: the level the process settles at, without transient spikes. */
  medianMb: number;
  /** VmRSS when the window closed. */
  endMb: number;
  /** VmHWM when the window closed: the process's peak since it started (workflow bundling included). */
  hwmMb: number;
  samples: number;
  /** [seconds since the window opened, VmRSS MiB], one point every ~2 s: the shape of the growth. */
  series: Array<[number, number]>;
}

export interface MemoryWindow {
  stop(): MemoryReading;
}

export interface WorkerProcess {
  pid: number;
  taskQueue: string;
  /** Starts sampling the peak RSS from now on. */
  watchMemory(): MemoryWindow;
  /** Initial syncs this process has run; a memory reading is clean only for its first big one. */
  syncs: number;
  output(): string;
  /** How the process ended ("exit 1", "SIGKILL"), or undefined while it runs. */
  exitStatus(): string | undefined;
  stop(): Promise<void>;
}

/** Worker processes still running; killed outright if this process exits without stopping them. */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

const SAMPLE_MS = 100;
const SERIES_EVERY = 20;

function readStatus(pid: number): { rssKb: number; hwmKb: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rssKb: kb('VmRSS'), hwmKb: kb('VmHWM') };
  } catch {
    return undefined;
  }
}

const mb = (kb: number) => Math.round((kb / 1024) * 10) / 10;

/**
 * `scripts/worker.ts` as its own process (the production shape), so its memory is its own. Ready
 * once it polls its task queue; the workflow bundle is built at start, which takes a few seconds.
 */
export async function startWorkerProcess(opts: {
  databaseUrl: string;
  temporalAddress: string;
  taskQueue: string;
  secretKey: string;
  client: Client;
  nodeOptions?: string;
}): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', workerScript], {
    cwd: repoRoot,
    env: {
      PATH: process.env.PATH, HOME: process.env.HOME,
      DATABASE_URL: opts.databaseUrl,
      TEMPORAL_ADDRESS: opts.temporalAddress,
      TEMPORAL_TASK_QUEUE: opts.taskQueue,
      TRACKBRIDGE_SECRET_KEY: opts.secretKey,
      LOG_LEVEL: 'warn',
      LOG_FORMAT: 'json',
      ...(opts.nodeOptions ? { NODE_OPTIONS: opts.nodeOptions } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (d: Buffer) => { out = (out + d.toString()).slice(-20_000); };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  live.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => {
    live.delete(child);
    resolve();
  }));
  const pid = child.pid!;

  const windows = new Set<{ startKb: number; peakKb: number; samples: number; openedAt: number; series: Array<[number, number]>; all: number[] }>();
  const sampler = setInterval(() => {
    const s = readStatus(pid);
    if (!s) return;
    for (const w of windows) {
      w.peakKb = Math.max(w.peakKb, s.rssKb);
      w.all.push(s.rssKb);
      if (w.samples++ % SERIES_EVERY === 0) w.series.push([Math.round((performance.now() - w.openedAt) / 1000), mb(s.rssKb)]);
    }
  }, SAMPLE_MS);
  sampler.unref();

  const stop = async () => {
    clearInterval(sampler);
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  };

  try {
    const deadline = Date.now() + 180_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`worker exited (${child.exitCode}) before polling:\n${out.slice(-3000)}`);
      const { pollers } = await opts.client.workflowService.describeTaskQueue({ namespace: 'default', taskQueue: { name: opts.taskQueue } });
      if (pollers?.length) break;
      if (Date.now() > deadline) throw new Error(`worker did not poll ${opts.taskQueue} within 180 s:\n${out.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    pid,
    taskQueue: opts.taskQueue,
    syncs: 0,
    output: () => out,
    exitStatus: () => (child.exitCode !== null ? `exit ${child.exitCode}` : child.signalCode ?? undefined),
    watchMemory() {
      const now = readStatus(pid);
      const w = { startKb: now?.rssKb ?? 0, peakKb: now?.rssKb ?? 0, samples: 0, openedAt: performance.now(), series: [], all: [] as number[] };
      windows.add(w);
      return {
        stop() {
          windows.delete(w);
          const end = readStatus(pid);
          if (end) w.peakKb = Math.max(w.peakKb, end.rssKb);
          const sorted = w.all.sort((a, b) => a - b);
          const median = sorted[Math.floor(sorted.length / 2)] ?? w.startKb;
          return {
            startMb: mb(w.startKb), peakMb: mb(w.peakKb), medianMb: mb(median), endMb: mb(end?.rssKb ?? 0),
            hwmMb: mb(end?.hwmKb ?? 0), samples: w.samples, series: w.series,
          };
        },
      };
    },
    stop,
  };
}
