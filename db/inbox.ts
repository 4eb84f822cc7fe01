import { and, asc, eq } from 'drizzle-orm';
import type { RemoteItem } from '../connectors/types';
import { withTx, type Db } from './client';
import { inbox } from './schema';
import { createStoryFromRemote, type SyncBinding } from './sync';

export type InboxEntry = typeof inbox.$inferSelect;

export async function listInbox(db: Db, bindingId: string, state = 'pending'): Promise<InboxEntry[]> {
  return db.select().from(inbox).where(and(eq(inbox.bindingId, bindingId), eq(inbox.state, state))).orderBy(asc(inbox.receivedAt));
}

/** Imports a pending entry as a story, linked like any pulled item. Returns the story id, or null when not pending. */
export async function importInboxEntry(db: Db, binding: SyncBinding, entryId: string): Promise<string | null> {
  return withTx(db, async (tx) => {
    const [entry] = await tx.select().from(inbox).where(and(eq(inbox.id, entryId), eq(inbox.bindingId, binding.id), eq(inbox.state, 'pending'))).for('update');
    if (!entry) return null;
    const storyId = await createStoryFromRemote(tx, binding, entry.item as unknown as RemoteItem);
    await tx.update(inbox).set({ state: 'imported' }).where(eq(inbox.id, entryId));
    return storyId;
  });
}

export async function dismissInboxEntry(db: Db, bindingId: string, entryId: string): Promise<boolean> {
  const rows = await db.update(inbox).set({ state: 'dismissed' }).where(and(eq(inbox.id, entryId), eq(inbox.bindingId, bindingId), eq(inbox.state, 'pending'))).returning({ id: inbox.id });
  return rows.length > 0;
}
