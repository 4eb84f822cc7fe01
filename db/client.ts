import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql, type SQL } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type { Logger } from 'pino';
import * as schema from './schema';
import { createKeyedMutex } from '../lib/keyed-mutex';

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
  /** LISTENs on a channel; returns the function that stops listening. */
  listen(channel: string, onNotify: () => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  url?: string | undefined;
  dataDir: string;
  poolSize?: number;
  logger?: Logger;
}

const migrationsFolder = fileURLToPath(new URL('./migrations', import.meta.url));
// Any constant works; it only has to be the same in every process that migrates.
const MIGRATION_LOCK = 727_001;

/** Postgres through `pg` when a URL is given, otherwise an embedded PGlite under the data dir. */
export async function openDatabase(opts: DatabaseOptions): Promise<Database> {
  return opts.url ? openPostgres(opts.url, opts.poolSize ?? 10, opts.logger) : openEmbedded(opts.dataDir);
}

async function openPostgres(url: string, poolSize: number, logger?: Logger): Promise<Database> {
  const local = createKeyedMutex();
  const { Pool, Client } = (await import('pg')).default;
  const { drizzle } = await import('drizzle-orm/node-postgres');
  const { migrate } = await import('drizzle-orm/node-postgres/migrator');
  // An acquire timeout turns pool starvation into an error instead of a silent hang.
  const pool = new Pool({ connectionString: url, max: poolSize, connectionTimeoutMillis: 30_000 });
  // Held locks get their own connections: a lock holder that needs a query must never wait on
  // a pool that other lock holders have drained.
  const lockPool = new Pool({ connectionString: url, max: poolSize, connectionTimeoutMillis: 0 });
  for (const p of [pool, lockPool]) p.on('error', (err) => logger?.warn({ err: err.message }, 'idle postgres client failed'));
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
        try {
          await client.query('select pg_advisory_lock(hashtextextended($1, 0))', [key]);
          return await fn();
        } finally {
          await client.query('select pg_advisory_unlock(hashtextextended($1, 0))', [key]).catch(() => undefined);
          client.release();
        }
      }),
    async listen(channel, onNotify) {
      // LISTEN needs its own long-lived connection, outside the pool.
      const client = new Client({ connectionString: url });
      client.on('notification', () => onNotify());
      client.on('error', (err) => logger?.warn({ err: err.message }, 'LISTEN connection failed; polling continues'));
      await client.connect();
      await client.query(`listen ${channel}`);
      return async () => void (await client.end().catch(() => undefined));
    },
    close: async () => {
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
    close: () => client.close(),
  };
}

/** Runs raw SQL and returns its rows; both drivers answer with `{ rows }`. */
export async function queryRows<T = Record<string, unknown>>(db: Db, query: SQL): Promise<T[]> {
  const result = (await db.execute(query)) as unknown as { rows: T[] };
  return result.rows;
}
