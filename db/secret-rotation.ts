import { eq } from 'drizzle-orm';
import type { SecretBox } from '../lib/crypto';
import type { Db } from './client';
import { connections } from './schema';

/**
 * Seals every connection's secrets again, from the old key's box to the new one's, in one
 * transaction: either every connection moves to the new key or none does. Returns how many moved.
 * A connection the old key cannot open stops the rotation (the wrong old key was given).
 */
export async function resealConnectionSecrets(db: Db, from: SecretBox, to: SecretBox): Promise<number> {
  return db.transaction(async (tx) => {
    const rows = await tx.select({ id: connections.id, secretsSealed: connections.secretsSealed }).from(connections).for('update');
    for (const row of rows) {
      let plain: unknown;
      try {
        plain = from.open(row.secretsSealed);
      } catch {
        throw new Error(`connection ${row.id}: the old key does not open its secrets; nothing was changed`);
      }
      await tx.update(connections).set({ secretsSealed: to.seal(plain) }).where(eq(connections.id, row.id));
    }
    return rows.length;
  });
}
