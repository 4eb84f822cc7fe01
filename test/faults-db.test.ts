import { sql } from 'drizzle-orm';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLockLostError, queryRows, withTx, type Database } from '../db/client';
import { toFailure } from '../activities/failures';
import { createApp } from '../api/app';
import { installedConnectors } from '../plugins/registry';
import { summarizeError } from '../lib/error-summary';
import { createTestDatabase, eventually, testLogger, testSecretBox } from './support/harness';
import { advisoryLockHolders, terminateBackends } from './support/faults-postgres';
import { freePort } from './support/process';
import { listenWithReconnect } from '../db/reconnecting-listener';

/**
 * F1 at the connection level, in this process: a lost backend must fail the work that used it (with
 * a retryable, classified error) and never surface as an unhandled 'error' event, which would end
 * the process (here: this test file's worker).
 */
describe('database connections lost under the engine (real Postgres, pg_terminate_backend)', () => {
  let database: Database & { url: string; drop(): Promise<void> };

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('a lock whose connection is terminated fails its holder with a retryable LockLostError, and the process lives on', async () => {
    let release!: () => void;
    const holding = new Promise<void>((r) => { release = r; });
    const held = database.withLock('push:faults:1', async () => {
      await holding;
      return 'done without the lock';
    });
    const [pid] = await eventually(async () => (await advisoryLockHolders(database.url)).length ? advisoryLockHolders(database.url) : undefined, 10_000, 20);
    // The lock's connection is idle inside withLock while its holder works: the case that crashed the worker.
    expect(await terminateBackends(database.url, `pid = ${pid}`)).toEqual([pid]);
    // The client notices the termination on its own (a FATAL message from the server), before the holder finishes.
    await eventually(async () => !(await advisoryLockHolders(database.url)).includes(pid!), 10_000, 20);
    release();
    const err = await held.then(() => undefined, (e: unknown) => e);
    expect(isLockLostError(err)).toBe(true);
    expect(summarizeError(err)).toMatchObject({ type: 'LockLostError', classification: 'transient', code: '57P01' });
    const failure = toFailure(err) as ApplicationFailure;
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: 'DatabaseUnavailable', nonRetryable: false });

    // The lock is usable again, on a fresh connection.
    expect(await database.withLock('push:faults:1', async () => 'again')).toBe('again');
  });

  it('a query on a terminated connection fails with a classified error that keeps no bound values, and the pool recovers', async () => {
    const secret = 'sealed-secret-value-42';
    const tx = withTx(database.db, async (t) => {
      const [own] = await queryRows<{ pid: number }>(t, sql`select pg_backend_pid() as pid`);
      // The transaction's connection is checked out and idle between statements when its backend goes.
      await terminateBackends(database.url, `pid = ${own!.pid}`);
      await eventually(async () => !(await terminateBackends(database.url, `pid = ${own!.pid}`)).length, 10_000, 20);
      await t.execute(sql`select ${secret}::text`);
    });
    const err = await tx.then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    const summary = summarizeError(err);
    expect(summary.classification).toBe('transient');
    expect(JSON.stringify(summary)).not.toContain(secret);
    expect(JSON.stringify((toFailure(err) as Error).message)).not.toContain(secret);
    const [row] = await eventually(() => queryRows(database.db, sql`select 1 as one`), 10_000, 50);
    expect(row).toEqual({ one: 1 });
  });

  it('LISTEN comes back within 5 s after its backend is terminated, and wakes the listener once it is back', async () => {
    let notified = 0;
    const unlisten = await database.listen('tb_faults_channel', () => { notified++; });
    try {
      expect(database.listeners()).toMatchObject([{ channel: 'tb_faults_channel', listening: true }]);
      const app = createApp({
        db: database.db, temporal: undefined as never, taskQueue: 'unused', connectors: installedConnectors(), secretBox: testSecretBox, logger: testLogger,
        checks: { database: () => database.ping(), temporal: async () => undefined, listeners: () => database.listeners() },
      });
      const before = notified;
      const killedAt = Date.now();
      expect(await terminateBackends(database.url, `query ilike 'listen %'`)).toHaveLength(1);
      // Reconnected: the listener is woken once for what it may have missed, then gets notifications again.
      await eventually(async () => database.listeners()[0]?.listening && notified > before, 5_000, 20);
      const backWithinMs = Date.now() - killedAt;
      const count = notified;
      const sentAt = Date.now();
      await database.db.execute(sql`select pg_notify('tb_faults_channel', '')`);
      await eventually(async () => notified > count, 5_000, 5);
      console.info(`[measure] LISTEN back ${backWithinMs} ms after termination; notification delivered in ${Date.now() - sentAt} ms`);
      expect(backWithinMs).toBeLessThan(5_000);
      expect(await (await app.request('/health')).json()).toMatchObject({ status: 'ok', notifications: { ok: true, listeners: [{ listening: true }] } });
    } finally {
      await unlisten();
    }
    expect(database.listeners()).toEqual([]);
  });

  it('/health says degraded, naming the LISTEN and its last error, while the LISTEN cannot reconnect (and still answers 200)', async () => {
    const url = new URL(database.url);
    url.port = String(await freePort());
    const listener = await listenWithReconnect({ url: url.toString(), channel: 'tb_faults_unreachable', onNotify: () => undefined });
    try {
      const app = createApp({
        db: database.db, temporal: undefined as never, taskQueue: 'unused', connectors: installedConnectors(), secretBox: testSecretBox, logger: testLogger,
        checks: { database: () => database.ping(), temporal: async () => undefined, listeners: () => [listener.status()] },
      });
      const res = await app.request('/health');
      expect(res.status).toBe(200);
      const body = (await res.json()) as { notifications: { listeners: { lastError: string }[] } };
      expect(body).toMatchObject({
        status: 'degraded', database: { ok: true },
        notifications: { ok: false, listeners: [{ channel: 'tb_faults_unreachable', listening: false }] },
      });
      expect(body.notifications.listeners[0]!.lastError).toMatch(/ECONNREFUSED/);
    } finally {
      await listener.stop();
    }
  });
});
