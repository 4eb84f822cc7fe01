import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../../db/client';
import { track } from './resources';

/** Rows per table of the public schema: a rejected request must leave every count as it was. */
export async function rowCounts(db: Db): Promise<Record<string, number>> {
  const tables = await queryRows<{ name: string }>(db, sql`select tablename as name from pg_tables where schemaname = 'public' order by tablename`);
  const counts: Record<string, number> = {};
  for (const { name } of tables) {
    const [row] = await queryRows<{ n: string }>(db, sql`select count(*) as n from ${sql.identifier(name)}`);
    counts[name] = Number(row?.n ?? 0);
  }
  return counts;
}

/** A server that answers every request with one fixed status and body: a remote that is not what its connector expects. */
export async function startFixedRemote(status: number, body: unknown): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const untrack = track('fixed remote');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => { untrack(); resolve(); })),
  };
}
