import pg from 'pg';
import { inject } from 'vitest';

/**
 * Terminates backends of ONE database (the test's own clone): other test files share this
 * Postgres, so nothing here may touch another database. `where` narrows it further (SQL on
 * pg_stat_activity, e.g. a pid list); returns the pids terminated.
 */
export async function terminateBackends(databaseUrl: string, where = 'true'): Promise<number[]> {
  const name = new URL(databaseUrl).pathname.slice(1);
  if (!/^tb_(test|fault)_[0-9a-f_]+$/.test(name)) throw new Error(`refusing to terminate backends of ${name}: not a test database`);
  const admin = new pg.Client({ connectionString: adminUrlFor(databaseUrl) });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ pid: number }>(
      `select pid from pg_stat_activity where datname = $1 and pid <> pg_backend_pid() and (${where})`, [name]);
    for (const { pid } of rows) await admin.query('select pg_terminate_backend($1)', [pid]);
    return rows.map((r) => r.pid);
  } finally {
    await admin.end();
  }
}

/** Backends of the test database holding an advisory lock (withLock's connections). */
export async function advisoryLockHolders(databaseUrl: string): Promise<number[]> {
  const admin = new pg.Client({ connectionString: adminUrlFor(databaseUrl) });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ pid: number }>(
      `select l.pid from pg_locks l join pg_database d on d.oid = l.database
        where l.locktype = 'advisory' and l.granted and d.datname = $1`, [new URL(databaseUrl).pathname.slice(1)]);
    return rows.map((r) => r.pid);
  } finally {
    await admin.end();
  }
}

/** The same server's maintenance database: a connection there survives terminating the test database's backends. */
function adminUrlFor(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  url.pathname = new URL(inject('pgAdminUrl')).pathname;
  return url.toString();
}
