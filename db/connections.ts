import { desc, eq } from 'drizzle-orm';
import { withTx, type Db } from './client';
import { connections } from './schema';

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
