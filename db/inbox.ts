import { and, asc, eq } from 'drizzle-orm';
import type { RemoteItem } from '../connectors/types';
import type { Db } from './client';
import { inbox } from './schema';

export type InboxEntry = typeof inbox.$inferSelect;

export async function listInbox(db: Db, bindingId: string, state = 'pending'): Promise<InboxEntry[]> {
  return db.select().from(inbox).where(and(eq(inbox.bindingId, bindingId), eq(inbox.state, state))).orderBy(asc(inbox.receivedAt));
}

/** Holds a remote item for review (a binding whose import policy asks for it); a later pull replaces it. */
export async function upsertInboxItem(db: Db, bindingId: string, item: RemoteItem): Promise<void> {
  const values = { bindingId, remoteId: item.remoteId, remoteKey: item.key, item };
  await db.insert(inbox).values(values).onConflictDoUpdate({ target: [inbox.bindingId, inbox.remoteId], set: { item: values.item, remoteKey: item.key } });
}

/** A pending entry of the binding, locked for the transaction; undefined when it is not pending. */
export async function lockPendingEntry(db: Db, bindingId: string, entryId: string): Promise<InboxEntry | undefined> {
  const [entry] = await db.select().from(inbox).where(and(eq(inbox.id, entryId), eq(inbox.bindingId, bindingId), eq(inbox.state, 'pending'))).for('update');
  return entry;
}

export async function markImported(db: Db, entryId: string): Promise<void> {
  await db.update(inbox).set({ state: 'imported' }).where(eq(inbox.id, entryId));
}

export async function dismissInboxEntry(db: Db, bindingId: string, entryId: string): Promise<boolean> {
  const rows = await db.update(inbox).set({ state: 'dismissed' }).where(and(eq(inbox.id, entryId), eq(inbox.bindingId, bindingId), eq(inbox.state, 'pending'))).returning({ id: inbox.id });
  return rows.length > 0;
}
