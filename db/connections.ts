import { and, desc, eq, ne, sql } from 'drizzle-orm';
import { withTx, type Db } from './client';
import { bindings, connections } from './schema';

/** The columns safe to show: everything but the sealed secrets. */
const publicColumns = {
  id: connections.id,
  connector: connections.connector,
  name: connections.name,
  config: connections.config,
  createdAt: connections.createdAt,
  updatedAt: connections.updatedAt,
};

export type ConnectionView = { id: string; connector: string; name: string; config: Record<string, unknown>; createdAt: Date; updatedAt: Date };

/** A connection's whole row, its sealed secrets included: for the worker that opens them, never for an answer. */
export type ConnectionRow = typeof connections.$inferSelect;

export async function connectionRow(db: Db, id: string): Promise<ConnectionRow | undefined> {
  const [row] = await db.select().from(connections).where(eq(connections.id, id));
  return row;
}

export async function insertConnection(db: Db, values: { connector: string; name: string; config: Record<string, unknown>; secretsSealed: string }): Promise<ConnectionView> {
  const [row] = await db.insert(connections).values(values).returning(publicColumns);
  if (!row) throw new Error('connection insert returned nothing');
  return row;
}

export async function getConnection(db: Db, id: string): Promise<ConnectionView | undefined> {
  const [row] = await db.select(publicColumns).from(connections).where(eq(connections.id, id));
  return row;
}

export async function listConnections(db: Db): Promise<ConnectionView[]> {
  return db.select(publicColumns).from(connections).orderBy(desc(connections.createdAt));
}

/** A connection's connector and sealed secrets, for the few places that open them (webhook checks, secret changes). */
export async function getSealedSecrets(db: Db, id: string): Promise<{ connector: string; secretsSealed: string } | undefined> {
  const [row] = await db.select({ connector: connections.connector, secretsSealed: connections.secretsSealed }).from(connections).where(eq(connections.id, id));
  return row;
}

/**
 * Replaces a connection's sealed secrets with `change(sealed)`, the row locked in between, so two
 * concurrent changes cannot both read the old secrets and one be lost. False when there is no such connection.
 */
export async function changeSealedSecrets(db: Db, id: string, change: (sealed: string) => string): Promise<boolean> {
  return withTx(db, async (tx) => {
    const [row] = await tx.select({ secretsSealed: connections.secretsSealed }).from(connections).where(eq(connections.id, id)).for('update');
    if (!row) return false;
    await tx.update(connections).set({ secretsSealed: change(row.secretsSealed), updatedAt: new Date() }).where(eq(connections.id, id));
    return true;
  });
}

/** A connection with its sealed secrets, for a change that merges into them. */
export async function getConnectionForChange(db: Db, id: string): Promise<(ConnectionView & { secretsSealed: string }) | undefined> {
  const [row] = await db.select({ ...publicColumns, secretsSealed: connections.secretsSealed }).from(connections).where(eq(connections.id, id));
  return row;
}

/**
 * Writes a change made from the row as it was at `readAt` (its updatedAt): undefined when the row has
 * changed (or gone) since, so a change tested against the remote is never saved over a newer one.
 */
export async function updateConnectionIfUnchanged(
  db: Db, id: string, readAt: Date, values: { name?: string; config?: Record<string, unknown>; secretsSealed?: string },
): Promise<ConnectionView | undefined> {
  const [row] = await db.update(connections).set({ ...values, updatedAt: new Date() })
    // A Date holds milliseconds, the column microseconds (a default now()): compare at the Date's precision.
    .where(and(eq(connections.id, id), sql`date_trunc('milliseconds', ${connections.updatedAt}) = ${readAt.toISOString()}::timestamptz`)).returning(publicColumns);
  return row;
}

export type DeleteConnectionResult = { deleted: true } | { deleted: false; bindings: string[] } | undefined;

/**
 * Deletes a connection no live binding uses: undefined when there is none, the live bindings' ids when
 * some use it. Deleted bindings keep their rows for history; theirs go with the connection (their links,
 * inbox and dead letters cascade, their runs stay with no binding). The row lock makes a binding created
 * meanwhile either wait and fail on its foreign key or be seen here.
 */
export async function deleteConnection(db: Db, id: string): Promise<DeleteConnectionResult> {
  return withTx(db, async (tx) => {
    const [row] = await tx.select({ id: connections.id }).from(connections).where(eq(connections.id, id)).for('update');
    if (!row) return undefined;
    const live = await tx.select({ id: bindings.id }).from(bindings)
      .where(and(eq(bindings.connectionId, id), ne(bindings.state, 'deleted'))).orderBy(bindings.createdAt);
    if (live.length > 0) return { deleted: false, bindings: live.map((b) => b.id) };
    await tx.delete(bindings).where(eq(bindings.connectionId, id));
    await tx.delete(connections).where(eq(connections.id, id));
    return { deleted: true };
  });
}
