import { eq } from 'drizzle-orm';
import type { SecretBox } from '../lib/crypto';
import type { Db } from './client';
import { connections, sinks } from './schema';

/**
 * Seals every connection's and every event sink's secrets again, from the old key's box to the new
 * one's, in one transaction: either everything moves to the new key or nothing does. Returns how many
 * connections moved (and sinks, in `sinks`). A row the old key cannot open stops the rotation (the
 * wrong old key was given).
 */
export async function resealConnectionSecrets(db: Db, from: SecretBox, to: SecretBox): Promise<number> {
  return (await resealSecrets(db, from, to)).connections;
}

export async function resealSecrets(db: Db, from: SecretBox, to: SecretBox): Promise<{ connections: number; sinks: number }> {
  return db.transaction(async (tx) => {
    const open = (what: string, sealed: string) => {
      try {
        return from.open(sealed);
      } catch {
        throw new Error(`${what}: the old key does not open its secrets; nothing was changed`);
      }
    };
    const rows = await tx.select({ id: connections.id, secretsSealed: connections.secretsSealed }).from(connections).for('update');
    for (const row of rows) {
      await tx.update(connections).set({ secretsSealed: to.seal(open(`connection ${row.id}`, row.secretsSealed)) }).where(eq(connections.id, row.id));
    }
    const sinkRows = await tx.select({ id: sinks.id, secretsSealed: sinks.secretsSealed }).from(sinks).for('update');
    for (const row of sinkRows) {
      await tx.update(sinks).set({ secretsSealed: to.seal(open(`sink ${row.id}`, row.secretsSealed)) }).where(eq(sinks.id, row.id));
    }
    return { connections: rows.length, sinks: sinkRows.length };
  });
}
