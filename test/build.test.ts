import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Connection, Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildServer } from '../scripts/build';
import { createTestDatabase } from './support/harness';
import { freePort } from './support/process';
import { track } from './support/resources';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

/**
 * The build as a user gets it: dist/ in a folder of its own beside node_modules (the layout of an
 * installed package), no sources and no workflows/ next to it, run by plain node with no loader.
 * Its node_modules is ours without tsx, so anything that still needed tsx at runtime would fail here.
 */
describe('the compiled server (scripts/build.ts)', () => {
  const home = mkdtempSync(join(tmpdir(), 'tb-build-'));
  const dist = join(home, 'dist');
  let database: Awaited<ReturnType<typeof createTestDatabase>>;

  beforeAll(async () => {
    database = await createTestDatabase();
    mkdirSync(join(home, 'node_modules'));
    for (const name of readdirSync(join(repoRoot, 'node_modules')).filter((n) => n !== 'tsx' && n !== '.bin')) {
      symlinkSync(join(repoRoot, 'node_modules', name), join(home, 'node_modules', name));
    }
    await buildServer(dist);
  }, 120_000);
  afterAll(async () => {
    await database?.drop();
    rmSync(home, { recursive: true, force: true });
  });

  it('writes the CLI, the workflow bundle and the migrations into the folder it is given', () => {
    expect(existsSync(join(dist, 'cli.js'))).toBe(true);
    expect(existsSync(join(dist, 'cli.js.map'))).toBe(true);
    expect(readFileSync(join(dist, 'workflow-bundle.js'), 'utf8')).toContain('initialSync');
    expect(existsSync(join(dist, 'migrations/meta/_journal.json'))).toBe(true);
    // Dependencies stay imports of node_modules: bundling them would ship two copies of Temporal, pg, zod.
    expect(readFileSync(join(dist, 'cli.js'), 'utf8')).toMatch(/from "commander"/);
  });

  it('`trackbridge start` runs on plain node: /health answers and the worker polls with the prebuilt workflow bundle', { timeout: 180_000 }, async () => {
    const port = await freePort();
    const taskQueue = `build-test-${Date.now()}`;
    const server = runCompiled(['start'], {
      // Migrating reads dist/migrations (their journal) even when the cloned database is up to date.
      PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: database.url, DATA_DIR: join(home, 'data'), LOG_FORMAT: 'json',
      TEMPORAL_ADDRESS: inject('temporalAddress'), TEMPORAL_TASK_QUEUE: taskQueue,
    });
    let stopped: number | null;
    try {
      await server.waitFor(/trackbridge is up/);
      expect(readFileSync(`/proc/${server.child.pid}/cmdline`, 'utf8').split('\0').filter(Boolean)).toEqual([process.execPath, join(dist, 'cli.js'), 'start']);
      expect(server.output()).toContain(JSON.stringify({ workflowBundle: join(dist, 'workflow-bundle.js') }).slice(1, -1));
      expect(server.output()).not.toMatch(/bundling the workflows/);

      const health = await fetch(`http://127.0.0.1:${port}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ database: { ok: true }, temporal: { ok: true } });
      // The console's htmx is read from node_modules, found from the compiled chunk's location.
      expect((await fetch(`http://127.0.0.1:${port}/ui/assets/htmx.min.js`)).headers.get('content-type')).toMatch(/javascript/);
      expect(await workflowPollers(taskQueue)).toBeGreaterThan(0);
    } finally {
      stopped = await server.stop('SIGINT');
    }
    expect(stopped).toBe(0);

    // The first start made an admin token; another compiled command finds it.
    const tokens = runCompiled(['token', 'list'], { DATABASE_URL: database.url, LOG_FORMAT: 'json' });
    expect(await tokens.exited).toBe(0);
    expect(tokens.stdout()).toMatch(/admin\s+admin/);
  });

  function runCompiled(args: string[], env: Record<string, string>) {
    // Only what the command needs: no NODE_OPTIONS, so nothing can load tsx behind our back.
    const child = spawn(process.execPath, [join(dist, 'cli.js'), ...args], {
      cwd: home, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    const untrack = track(`process dist/cli.js ${args.join(' ')}`);
    let stdout = '';
    let output = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); output += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { output += d.toString(); });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => { untrack(); resolve(code); }));
    return {
      child, exited, stdout: () => stdout, output: () => output,
      async waitFor(pattern: RegExp, timeoutMs = 120_000) {
        const deadline = Date.now() + timeoutMs;
        while (!pattern.test(output)) {
          if (child.exitCode !== null) throw new Error(`dist/cli.js ${args.join(' ')} exited (${child.exitCode}):\n${output.slice(-3000)}`);
          if (Date.now() > deadline) throw new Error(`no ${pattern} within ${timeoutMs} ms:\n${output.slice(-3000)}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      },
      async stop(signal: NodeJS.Signals) {
        if (child.exitCode === null) child.kill(signal);
        const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
        const code = await exited;
        clearTimeout(timer);
        return code;
      },
    };
  }
});

/** Workflow-task pollers Temporal sees on the queue: a worker polls only once its workflow code has loaded. */
async function workflowPollers(taskQueue: string): Promise<number> {
  const connection = await Connection.connect({ address: inject('temporalAddress') });
  try {
    const client = new Client({ connection });
    for (let attempt = 0; attempt < 50; attempt++) {
      const { pollers } = await client.workflowService.describeTaskQueue({ namespace: 'default', taskQueue: { name: taskQueue } });
      if (pollers?.length) return pollers.length;
      await new Promise((r) => setTimeout(r, 200));
    }
    return 0;
  } finally {
    await connection.close();
  }
}
