import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql, type SQL } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT, PgTransactionConfig } from 'drizzle-orm/pg-core';
import type { Logger } from 'pino';
import * as schema from './schema';
import { createKeyedMutex } from '../lib/keyed-mutex';
import { summarizeError } from '../lib/error-summary';
import { listenWithReconnect, type ListenStatus, type ReconnectingListener } from './reconnecting-listener';

export type { ListenStatus } from './reconnecting-listener';

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

export interface Database {
  db: Db;
  kind: 'postgres' | 'embedded';
  /** Round-trips a trivial query; throws when the database is unreachable. */
  ping(): Promise<void>;
  migrate(): Promise<void>;
  /**
   * Runs `fn` while holding a lock on `key`: across processes on Postgres (advisory lock on a
   * dedicated connection, released if the process dies), within this process when embedded.
   */
  withLock<T>(key: string, fn: () => Promise<T>): Promise<T>;
  /**
   * LISTENs on a channel, reconnecting when the server drops the connection; `onNotify` also runs
   * after each reconnect. Returns the function that stops listening.
   */
  listen(channel: string, onNotify: () => void): Promise<() => Promise<void>>;
  /** Every LISTEN this process holds: /health reports one that is reconnecting. */
  listeners(): ListenStatus[];
  close(): Promise<void>;
}

/**
 * The connection that held an advisory lock was lost while its holder ran, so the lock may have
 * passed to another process: the holder's work is not trusted and its activity is retried.
 */
export class LockLostError extends Error {
  constructor(readonly key: string, cause: unknown) {
    super(`lost the database connection holding lock ${key}: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.name = 'LockLostError';
  }
}

export const isLockLostError = (e: unknown): e is LockLostError => e instanceof Error && e.name === 'LockLostError';

export interface DatabaseOptions {
  url?: string | undefined;
  dataDir: string;
  poolSize?: number;
  logger?: Logger;
}

// Beside this module: db/migrations in a checkout, dist/migrations in a build (scripts/build.ts copies
// them next to the chunks, and this module lands in one of those).
const migrationsFolder = fileURLToPath(new URL('./migrations', import.meta.url));
// Any constant works; it only has to be the same in every process that migrates.
const MIGRATION_LOCK = 727_001;

/** Postgres through `pg` when a URL is given, otherwise an embedded PGlite under the data dir. */
export async function openDatabase(opts: DatabaseOptions): Promise<Database> {
  return opts.url ? openPostgres(opts.url, opts.poolSize ?? 10, opts.logger) : openEmbedded(opts.dataDir);
}

async function openPostgres(url: string, poolSize: number, logger?: Logger): Promise<Database> {
  const local = createKeyedMutex();
  const { Pool } = (await import('pg')).default;
  const { drizzle } = await import('drizzle-orm/node-postgres');
  const { migrate } = await import('drizzle-orm/node-postgres/migrator');
  // An acquire timeout turns pool starvation into an error instead of a silent hang. Keepalive finds
  // connections a network cut left half-open.
  const pool = new Pool({ connectionString: url, max: poolSize, connectionTimeoutMillis: 30_000, keepAlive: true });
  // Held locks get their own connections: a lock holder that needs a query must never wait on
  // a pool that other lock holders have drained.
  const lockPool = new Pool({ connectionString: url, max: poolSize, connectionTimeoutMillis: 0, keepAlive: true });
  for (const [name, p] of [['queries', pool], ['locks', lockPool]] as const) {
    // pg emits 'error' on a checked-out client whose backend dies (57P01 on pg_terminate_backend, a
    // restart), and the pool listens only while a client is idle: without a listener of our own on
    // every client, a connection lost mid-transaction or under a held lock ends the process. The
    // query in flight still fails, and the pool drops the client when it comes back.
    p.on('connect', (client) => {
      client.on('error', (err) => logger?.warn({ pool: name, err: summarizeError(err) }, 'postgres connection lost; the pool replaces it'));
    });
    // Idle clients reach both listeners; the one above has logged it.
    p.on('error', () => undefined);
  }
  const listeners = new Set<ReconnectingListener>();
  const db = drizzle(pool, { schema });
  return {
    db: db as unknown as Db,
    kind: 'postgres',
    ping: async () => void (await pool.query('select 1')),
    async migrate() {
      // API and worker both migrate on start; the advisory lock keeps them from racing.
      const client = await pool.connect();
      try {
        await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK]);
        await migrate(drizzle(client, { schema }), { migrationsFolder });
      } finally {
        await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
        client.release();
      }
    },
    withLock: (key, fn) =>
      local(key, async () => {
        const client = await lockPool.connect();
        let lost: Error | undefined;
        const onLost = (err: Error) => void (lost ??= err);
        client.on('error', onLost);
        try {
          await client.query('select pg_advisory_lock(hashtextextended($1, 0))', [key]);
          const result = await fn();
          if (lost) throw new LockLostError(key, lost);
          return result;
        } catch (err) {
          // Whatever `fn` failed with, the lost lock is the cause to report: the work ran unguarded.
          throw lost && !isLockLostError(err) ? new LockLostError(key, lost) : err;
        } finally {
          if (!lost) await client.query('select pg_advisory_unlock(hashtextextended($1, 0))', [key]).catch(() => undefined);
          client.removeListener('error', onLost);
          // A dead connection leaves the pool instead of going back to it.
          client.release(lost);
        }
      }),
    async listen(channel, onNotify) {
      // LISTEN needs its own long-lived connection, outside the pool.
      const listener = await listenWithReconnect({ url, channel, onNotify, logger });
      listeners.add(listener);
      return async () => {
        listeners.delete(listener);
        await listener.stop();
      };
    },
    listeners: () => [...listeners].map((l) => l.status()),
    close: async () => {
      await Promise.all([...listeners].map((l) => l.stop()));
      listeners.clear();
      await lockPool.end();
      await pool.end();
    },
  };
}

async function openEmbedded(dataDir: string): Promise<Database> {
  const local = createKeyedMutex();
  const { PGlite } = await import('@electric-sql/pglite');
  const { drizzle } = await import('drizzle-orm/pglite');
  const { migrate } = await import('drizzle-orm/pglite/migrator');
  const dir = resolve(join(dataDir, 'pglite'));
  mkdirSync(dir, { recursive: true });
  const client = await PGlite.create(dir);
  const db = drizzle(client, { schema });
  return {
    db: db as unknown as Db,
    kind: 'embedded',
    ping: async () => void (await db.execute(sql`select 1`)),
    migrate: () => migrate(db, { migrationsFolder }),
    // One process owns the embedded database, so an in-process lock is a complete one.
    withLock: (key, fn) => local(key, fn),
    listen: async (channel, onNotify) => client.listen(channel, () => onNotify()),
    // In-process notifications cannot be lost to a dropped connection.
    listeners: () => [],
    close: () => client.close(),
  };
}

/**
 * Runs `fn` in a transaction on `db`, with the transaction as a `Db` so every query function takes it.
 * Called with a transaction, it opens a savepoint inside it, as `db.transaction` does.
 */
export function withTx<T>(db: Db, fn: (tx: Db) => Promise<T>, config?: PgTransactionConfig): Promise<T> {
  return db.transaction(fn, config);
}

/** Runs raw SQL and returns its rows; both drivers answer with `{ rows }`. */
export async function queryRows<T = Record<string, unknown>>(db: Db, query: SQL): Promise<T[]> {
  const result = (await db.execute(query)) as unknown as { rows: T[] };
  return result.rows;
}
