import { execFile } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './process';
import { track } from './resources';

const run = promisify(execFile);
const BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';

export interface PrivateCluster {
  /** The maintenance database's URL; create test databases through it. */
  adminUrl: string;
  urlFor(database: string): string;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the server for good and deletes its files. */
  destroy(): Promise<void>;
}

/**
 * A throwaway Postgres server (initdb + pg_ctl on a free port and a temp dir) that a test may stop
 * and restart without disturbing the shared server other test files use. initdb refuses to run as
 * root, so as root the cluster belongs to the postgres OS user.
 */
export async function startPrivateCluster(): Promise<PrivateCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'tb-faults-pg-'));
  const data = join(dir, 'data');
  const port = await freePort();
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const [uid, gid] = (await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])])).map((r) => Number(r.stdout.trim()));
    chownSync(dir, uid!, gid!);
  }
  const pg = (tool: string, args: string[]) => (asRoot ? run('runuser', ['-u', 'postgres', '--', join(BIN, tool), ...args]) : run(join(BIN, tool), args));
  const ctl = (...args: string[]) => pg('pg_ctl', ['-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '60', ...args]);
  await pg('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const start = async () => void (await ctl('-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100`, 'start'));
  await start();
  const untrack = track(`private postgres cluster ${dir}`);
  const urlFor = (database: string) => `postgres://postgres@127.0.0.1:${port}/${database}`;
  let destroyed = false;
  return {
    adminUrl: urlFor('postgres'),
    urlFor,
    // Fast shutdown: what a restart by an operator or a package upgrade does; every client gets 57P01.
    stop: async () => void (await ctl('-m', 'fast', 'stop')),
    start,
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      await ctl('-m', 'immediate', 'stop').catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
      untrack();
    },
  };
}
