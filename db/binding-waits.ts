import { and, eq, isNotNull } from 'drizzle-orm';
import type { Db } from './client';
import { bindings } from './schema';

/** Records that the binding's remote asked us to wait until `until` (a rate limit); the binding status shows it. */
export async function setBindingWait(db: Db, bindingId: string, until: Date, reason: string): Promise<void> {
  await db.update(bindings).set({ waitingUntil: until, waitingReason: reason }).where(eq(bindings.id, bindingId));
}

/** Clears a recorded wait once a call to the remote went through. Writes nothing when there is none. */
export async function clearBindingWait(db: Db, bindingId: string): Promise<void> {
  await db.update(bindings).set({ waitingUntil: null, waitingReason: null }).where(and(eq(bindings.id, bindingId), isNotNull(bindings.waitingUntil)));
}
