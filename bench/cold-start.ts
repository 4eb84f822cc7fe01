/**
 * Cold start, compiled against tsx: how long from the command to `/health` answering 200, and the
 * worker's resident memory once it runs. `npm run bench:start` (after `npm run build`, which it runs
 * when dist/ is missing).
 *
 * Variants, each started `--runs` times (default 3) against a shared Temporal dev server and a migrated
 * database, so the figure is trackbridge's own start and not the dev server's or the migrations':
 *   - `start`:  `npx trackbridge start` (dist/, plain node)  ·  `npm start` (tsx; the worker bundles the
 *     workflows)  ·  `npm start` with TEMPORAL_WORKFLOW_BUNDLE=dist/workflow-bundle.js (tsx, prebuilt bundle)
 *   - `worker`: `trackbridge worker` the same three ways, timed to its `worker running` line; its RSS is
 *     read 3 s later (the server process: the launcher's npm/npx parents are left out).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildServer } from '../scripts/build';
import { openBenchEnv } from './env';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' } } });
const runs = Number(values.runs);

interface Variant {
  name: string;
  command: string[];
  env?: Record<string, string>;
  /** What the start is timed to: `/health` answering 200, or the worker's log line. */
  ready: 'health' | 'worker';
}

const bundle = join(root, 'dist/workflow-bundle.js');
const variants: Variant[] = [
  { name: 'start, compiled (npx trackbridge start)', command: ['npx', 'trackbridge', 'start'], ready: 'health' },
  { name: 'start, tsx, bundled at start (npm start)', command: ['npm', 'start'], ready: 'health' },
  { name: 'start, tsx, prebuilt bundle (npm start)', command: ['npm', 'start'], env: { TEMPORAL_WORKFLOW_BUNDLE: bundle }, ready: 'health' },
  { name: 'worker, compiled (npx trackbridge worker)', command: ['npx', 'trackbridge', 'worker'], ready: 'worker' },
  { name: 'worker, tsx, bundled at start (npm run worker)', command: ['npm', 'run', 'worker'], ready: 'worker' },
  { name: 'worker, tsx, prebuilt bundle (npm run worker)', command: ['npm', 'run', 'worker'], env: { TEMPORAL_WORKFLOW_BUNDLE: bundle }, ready: 'worker' },
];

function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

const rssMb = (pid: number) => {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
};
const commandOf = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch {
    return '';
  }
};

/** The process that serves: the largest node descendant that is not npm or npx itself. */
function serverProcess(pid: number): { pid: number; rss: number; command: string } | undefined {
  return [pid, ...descendants(pid)]
    .map((p) => ({ pid: p, rss: rssMb(p), command: commandOf(p) }))
    .filter((p) => p.rss > 0 && !/npm-cli\.js|npx-cli\.js|\/bin\/npm |\/bin\/npx /.test(p.command) && !/^(npm|npx|sh)\b/.test(p.command))
    .sort((a, b) => b.rss - a.rss)[0];
}

async function waitUntil(check: () => Promise<boolean> | boolean, child: ChildProcess, output: () => string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (child.exitCode !== null) throw new Error(`exited (${child.exitCode}):\n${output().slice(-2000)}`);
    if (Date.now() > deadline) throw new Error(`not ready within ${timeoutMs} ms:\n${output().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function stopTree(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const done = new Promise((r) => child.once('exit', r));
  const tree = [child.pid!, ...descendants(child.pid!)];
  for (const pid of tree) {
    try {
      process.kill(pid, 'SIGINT');
    } catch {
      // gone
    }
  }
  const timer = setTimeout(() => tree.forEach((pid) => { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }), 20_000);
  await done;
  clearTimeout(timer);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

if (!existsSync(join(root, 'dist/cli.js')) || !existsSync(bundle)) {
  console.log('building dist/ (npm run build) first');
  await buildServer(join(root, 'dist'));
}

const log = (line: string) => console.log(line);
const env = await openBenchEnv({ pgAdminUrl: process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres', log });
const results: Array<{ name: string; seconds: number[]; rss: number[] }> = [];
try {
  const database = await env.createDatabase();
  const dataDir = mkdtempSync(join(tmpdir(), 'tb-cold-'));
  let port = 3900;
  for (const variant of variants) {
    const seconds: number[] = [];
    const rss: number[] = [];
    // One start before the timed ones, discarded: the OS file cache then holds the modules for every variant alike.
    for (let i = -1; i < runs; i++) {
      port++;
      let out = '';
      const started = performance.now();
      const child = spawn(variant.command[0]!, variant.command.slice(1), {
        cwd: root,
        env: {
          PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: database.url, TEMPORAL_ADDRESS: env.temporalAddress,
          TEMPORAL_TASK_QUEUE: `cold-${port}`, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_FORMAT: 'json',
          TRACKBRIDGE_SECRET_KEY: env.secretKey, ...variant.env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
      child.stderr?.on('data', (d: Buffer) => { out += d.toString(); });
      try {
        if (variant.ready === 'health') {
          await waitUntil(async () => {
            try {
              return (await fetch(`http://127.0.0.1:${port}/health`)).status === 200;
            } catch {
              return false;
            }
          }, child, () => out);
        } else {
          await waitUntil(() => out.includes('worker running'), child, () => out);
        }
        const elapsed = (performance.now() - started) / 1000;
        // The worker's memory once it polls (for start, the all-in-one process: API and worker).
        await waitUntil(() => out.includes('worker running'), child, () => out);
        await new Promise((r) => setTimeout(r, 3_000));
        const server = serverProcess(child.pid!);
        if (i >= 0) {
          seconds.push(elapsed);
          rss.push(server?.rss ?? NaN);
        }
        log(`${variant.name}: ${elapsed.toFixed(2)} s, ${server?.rss.toFixed(0)} MiB (${server?.command.slice(0, 100)})${i < 0 ? ' (warm-up, discarded)' : ''}`);
      } finally {
        await stopTree(child);
      }
    }
    results.push({ name: variant.name, seconds, rss });
  }
  rmSync(dataDir, { recursive: true, force: true });
} finally {
  await env.dispose();
}

console.log('\n| variant | ready (median of runs) | runs | RSS after start (median) |\n| --- | --- | --- | --- |');
for (const r of results) {
  console.log(`| ${r.name} | ${median(r.seconds).toFixed(2)} s | ${r.seconds.map((s) => s.toFixed(2)).join(', ')} | ${median(r.rss).toFixed(0)} MiB |`);
}
