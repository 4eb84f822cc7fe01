import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Connection } from '@temporalio/client';
import type { Logger } from 'pino';
import { searchAttributeKeys } from '../workflows/contract';

export interface DevServer {
  address: string;
  uiUrl: string;
  /** False when a server was already listening and we only reused it. */
  owned: boolean;
  stop(): Promise<void>;
}

async function reachable(address: string): Promise<boolean> {
  try {
    const conn = await Connection.connect({ address, connectTimeout: '1s' });
    await conn.healthService.check({});
    await conn.close();
    return true;
  } catch {
    return false;
  }
}

/**
 * Server settings the dev server runs with. Eager activity dispatch: when a workflow task schedules an
 * activity on its own task queue, the server hands the activity back in its answer to the worker that
 * completed the task, instead of queueing it for the next poll. It took a hub edit's push from signal to
 * the remote's PATCH from 110-120 ms to 39 ms at the median (P2). A self-hosted cluster turns it on
 * with the same dynamic config key (docs/performance.md, Sizing).
 */
export const devServerDynamicConfig = ['--dynamic-config-value', 'system.enableActivityEagerExecution=true'] as const;

/** Runs `temporal server start-dev` with a persistent SQLite file and our search attributes registered. */
export async function startDevServer(opts: { cli: string; dataDir: string; port: number; uiPort: number; logger: Logger }): Promise<DevServer> {
  const address = `127.0.0.1:${opts.port}`;
  const uiUrl = `http://localhost:${opts.uiPort}`;
  if (await reachable(address)) {
    opts.logger.info({ address }, 'a Temporal server is already listening; reusing it');
    return { address, uiUrl, owned: false, stop: async () => undefined };
  }
  const dir = resolve(opts.dataDir);
  mkdirSync(dir, { recursive: true });
  const args = [
    'server', 'start-dev',
    '--db-filename', join(dir, 'temporal.db'),
    '--ip', '127.0.0.1',
    '--port', String(opts.port),
    '--ui-port', String(opts.uiPort),
    '--log-level', 'error',
    ...devServerDynamicConfig,
    ...searchAttributeKeys.flatMap((k) => ['--search-attribute', `${k.name}=Keyword`]),
  ];
  const child = spawn(opts.cli, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000); });
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  const deadline = Date.now() + 60_000;
  while (!(await reachable(address))) {
    if (child.exitCode !== null) throw new Error(`temporal dev server exited (${child.exitCode}): ${stderr.trim()}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`temporal dev server did not answer on ${address} within 60s: ${stderr.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  opts.logger.info({ address, ui: uiUrl }, 'temporal dev server started');
  return { address, uiUrl, owned: true, stop: () => stopChild(child, exited) };
}

async function stopChild(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
