import { randomBytes } from 'node:crypto';
import pg from 'pg';
import pino from 'pino';
import { inject } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { openDatabase, type Database } from '../../db/client';
import { createSecretBox } from '../../lib/crypto';
import { createWorker } from '../../runtime/worker';
import type { ActivityDeps } from '../../activities';
import { getConnector } from '../../plugins/registry';
import { track } from './resources';
import { installTemporalRuntime } from '../../runtime/temporal-runtime';
import { createKeyedMutex } from '../../lib/keyed-mutex';
import { startOutboxRelay, type OutboxRelay } from '../../sync/outbox-relay';
import type { ApiLimits } from '../../api/limits';
import { temporalControl } from '../../runtime/temporal-control';

export const testLogger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
// The SDK's own logs (activity retries and the like) follow TEST_LOG_LEVEL too.
installTemporalRuntime(testLogger);
export const testSecretBox = createSecretBox(Buffer.alloc(32, 7));

/** A fresh database cloned from the migrated template: isolated per test file. */
export async function createTestDatabase(): Promise<Database & { url: string; drop(): Promise<void> }> {
  const name = `tb_test_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: inject('pgAdminUrl') });
  await admin.connect();
  try {
    await admin.query(`create database ${name} template ${inject('pgTemplate')}`);
  } finally {
    await admin.end();
  }
  const url = new URL(inject('pgAdminUrl'));
  url.pathname = `/${name}`;
  const database = await openDatabase({ url: url.toString(), dataDir: '.data', poolSize: 5 });
  const untrack = track(`database ${name}`);
  return {
    ...database,
    url: url.toString(),
    async drop() {
      await database.close();
      const a = new pg.Client({ connectionString: inject('pgAdminUrl') });
      await a.connect();
      await a.query(`drop database if exists ${name} with (force)`);
      await a.end();
      untrack();
    },
  };
}

export async function connectTestClient(): Promise<Client & { close(): Promise<void> }> {
  const connection = await Connection.connect({ address: inject('temporalAddress') });
  const untrack = track('temporal client');
  const client = new Client({ connection });
  return Object.assign(client, { close: async () => { await connection.close(); untrack(); } });
}

export interface TestWorker {
  worker: Worker;
  taskQueue: string;
  /** Present when the worker was given a Database: the outbox relay, as the real worker runs it. */
  relay?: OutboxRelay;
  stop(): Promise<void>;
}

/**
 * A worker on its own task queue, running the once-per-run workflow bundle. Pass `taskQueue` to take
 * over the queue of a stopped worker (a restart: its schedules and running workflows carry on).
 */
export async function startTestWorker(deps: Partial<ActivityDeps> & Pick<ActivityDeps, 'db'> & { database?: Database; taskQueue?: string }): Promise<TestWorker> {
  const { database, taskQueue: queue, ...activityDeps } = deps;
  const withLock = deps.withLock ?? database?.withLock ?? createKeyedMutex();
  const connection = await NativeConnection.connect({ address: inject('temporalAddress') });
  const clientConnection = await Connection.connect({ address: inject('temporalAddress') });
  const taskQueue = queue ?? `test-${randomBytes(5).toString('hex')}`;
  const temporal = new Client({ connection: clientConnection });
  const worker = await createWorker({
    connection,
    namespace: 'default',
    taskQueue,
    deps: { secretBox: testSecretBox, getConnector, logger: testLogger, temporal: temporalControl(temporal), ...activityDeps, withLock },
    logger: testLogger,
    workflowBundle: { codePath: inject('workflowBundlePath') },
  });
  const running = worker.run();
  const relay = database ? await startOutboxRelay({ database, temporal, taskQueue, logger: testLogger, pollMs: 200 }) : undefined;
  const untrack = track(`worker ${taskQueue}`);
  return {
    worker,
    taskQueue,
    ...(relay ? { relay } : {}),
    async stop() {
      await relay?.stop();
      worker.shutdown();
      await running;
      await connection.close();
      await clientConnection.close();
      untrack();
    },
  };
}

/** The real app over real dependencies, plus a valid token. */
export async function createTestApi(opts: { database: Database; client: Client; taskQueue: string; temporalCheck?: () => Promise<void>; limits?: Partial<ApiLimits>; metricsToken?: string }) {
  const { createApp } = await import('../../api/app');
  const { createApiToken } = await import('../../db/tokens');
  const { installedConnectors } = await import('../../plugins/registry');
  const app = createApp({
    db: opts.database.db,
    temporal: opts.client,
    taskQueue: opts.taskQueue,
    connectors: installedConnectors(),
    secretBox: testSecretBox,
    logger: testLogger,
    checks: {
      database: () => opts.database.ping(),
      temporal: opts.temporalCheck ?? (async () => void (await opts.client.workflowService.getSystemInfo({}))),
    },
    // Tests poll far faster than a user would; the rate limit has its own test (api-limits). A loaded
    // 2-core CI machine can keep the dev server busy past the 5 s production bound; api.test.ts checks that bound.
    limits: { ratePerMinute: 0, temporalCallMs: 30_000, ...opts.limits },
    ...(opts.metricsToken ? { metricsToken: opts.metricsToken } : {}),
  });
  const { token } = await createApiToken(opts.database.db, 'test');
  const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    app.request(path, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  return { app, token, call };
}

/** Polls until `check` returns a value, or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined | null | false>, timeoutMs = 30_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
