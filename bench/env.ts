import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import pg from 'pg';
import pino from 'pino';
import type { Client } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { openDatabase, type Database } from '../db/client';
import { createSecretBox, type SecretBox } from '../lib/crypto';
import { searchAttributeKeys } from '../workflows/contract';
import { resolveTemporalCli } from '../runtime/temporal-cli';
import { devServerDynamicConfig } from '../runtime/dev-server';
import { startWorkerProcess, type WorkerProcess } from './worker-process';

export interface BenchDatabase extends Database {
  name: string;
  url: string;
  /** Closes the pool and drops the database. */
  drop(): Promise<void>;
}

/** What every scenario shares: one Temporal dev server, a migrated template database, cleanup. */
export interface BenchEnv {
  temporalAddress: string;
  /** The dev server's Prometheus endpoint; its `action` counter shows what no history does (heartbeats, queries). */
  temporalMetricsUrl: string;
  client: Client;
  secretKey: string;
  secretBox: SecretBox;
  logger: pino.Logger;
  log(line: string): void;
  /** A fresh database cloned from the migrated template. */
  createDatabase(): Promise<BenchDatabase>;
  /** Runs `fn` on a fresh database and drops it afterwards. */
  withDatabase<T>(fn: (database: BenchDatabase) => Promise<T>): Promise<T>;
  /** `scripts/worker.ts` as its own process, on its own task queue, against `database`. */
  startWorker(database: BenchDatabase): Promise<WorkerProcess>;
  /** Registers cleanup, run last-in first-out by dispose(), even after a failure. */
  defer(what: string, fn: () => Promise<void>): () => void;
  dispose(): Promise<void>;
}

export async function openBenchEnv(opts: { pgAdminUrl: string; log: (line: string) => void; workerNodeOptions?: string | undefined }): Promise<BenchEnv> {
  const cleanups: Array<{ what: string; fn: () => Promise<void> }> = [];
  const defer = (what: string, fn: () => Promise<void>) => {
    const entry = { what, fn };
    cleanups.push(entry);
    return () => void cleanups.splice(cleanups.indexOf(entry), 1);
  };
  let disposing: Promise<void> | undefined;
  const drain = async () => {
    for (let entry = cleanups.pop(); entry; entry = cleanups.pop()) {
      try {
        await entry.fn();
      } catch (err) {
        opts.log(`cleanup of ${entry.what} failed: ${(err as Error).message}`);
      }
    }
    disposing = undefined;
  };
  // An abort and the runner's own cleanup may both ask: the second waits for the first to finish.
  const dispose = () => (disposing ??= drain());

  const suffix = randomBytes(4).toString('hex');
  const secretKey = randomBytes(32).toString('base64');
  const adminQuery = async (sql: string, params: unknown[] = []) => {
    const admin = new pg.Client({ connectionString: opts.pgAdminUrl });
    await admin.connect();
    try {
      return (await admin.query(sql, params)).rows as Record<string, unknown>[];
    } finally {
      await admin.end();
    }
  };
  /**
   * A closed pool has asked its connections to end, but their sockets may still be closing: a forced
   * drop then terminates them mid-goodbye, and the client reports an error nobody waits for. Wait (a
   * little) until the database has no connection left, then drop it, by force if something still holds on.
   */
  const dropDatabase = async (name: string) => {
    for (let i = 0; i < 40; i++) {
      const [row] = await adminQuery('select count(*)::int as n from pg_stat_activity where datname = $1', [name]);
      if (row?.n === 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await adminQuery(`drop database if exists ${name} with (force)`);
  };
  const urlOf = (name: string) => {
    const url = new URL(opts.pgAdminUrl);
    url.pathname = `/${name}`;
    return url.toString();
  };

  try {
    const cli = await resolveTemporalCli({ install: true });
    const metricsPort = await freePort();
    const temporal = await TestWorkflowEnvironment.createLocal({
      server: {
        executable: { type: 'existing-path', path: cli }, searchAttributes: searchAttributeKeys,
        extraArgs: ['--log-level', 'error', '--metrics-port', String(metricsPort), ...devServerDynamicConfig],
      },
    });
    defer('temporal dev server', () => temporal.teardown());

    const template = `tb_bench_tpl_${suffix}`;
    await adminQuery(`create database ${template}`);
    defer(`database ${template}`, () => dropDatabase(template));
    const migrating = await openDatabase({ url: urlOf(template), dataDir: '.data', poolSize: 1 });
    await migrating.migrate();
    await migrating.close();

    let databases = 0;
    const env: BenchEnv = {
      temporalAddress: temporal.address,
      temporalMetricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
      client: temporal.client,
      secretKey,
      secretBox: createSecretBox(Buffer.from(secretKey, 'base64')),
      logger: pino({ level: 'silent' }),
      log: opts.log,
      async createDatabase() {
        const name = `tb_bench_${suffix}_${++databases}`;
        await adminQuery(`create database ${name} template ${template}`);
        const database = await openDatabase({ url: urlOf(name), dataDir: '.data', poolSize: 5 });
        let dropped = false;
        const drop = async () => {
          if (dropped) return;
          dropped = true;
          await database.close();
          await dropDatabase(name);
        };
        const undo = defer(`database ${name}`, drop);
        return { ...database, name, url: urlOf(name), drop: async () => { undo(); await drop(); } };
      },
      async withDatabase(fn) {
        const database = await env.createDatabase();
        try {
          return await fn(database);
        } finally {
          await database.drop();
        }
      },
      async startWorker(database) {
        const worker = await startWorkerProcess({
          databaseUrl: database.url,
          temporalAddress: temporal.address,
          taskQueue: `bench-${randomBytes(4).toString('hex')}`,
          secretKey,
          client: temporal.client,
          ...(opts.workerNodeOptions ? { nodeOptions: opts.workerNodeOptions } : {}),
        });
        const undo = defer(`worker ${worker.pid}`, () => worker.stop());
        return { ...worker, stop: async () => { undo(); await worker.stop(); } };
      },
      defer,
      dispose,
    };
    return env;
  } catch (err) {
    await dispose();
    throw err;
  }
}

/** A port nothing listens on now (the dev server binds it a moment later). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().once('error', reject).listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
