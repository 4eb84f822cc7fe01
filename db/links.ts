import { and, eq, sql } from 'drizzle-orm';
import type { RemoteItem } from '../connectors/types';
import { queryRows, type Db } from './client';
import type { Snapshot } from './fields';
import { externalLinks } from './schema';

export type ExternalLink = typeof externalLinks.$inferSelect;

export async function getLink(db: Db, bindingId: string, storyId: string): Promise<ExternalLink | undefined> {
  const [row] = await db.select().from(externalLinks).where(and(eq(externalLinks.bindingId, bindingId), eq(externalLinks.storyId, storyId)));
  return row;
}

/**
 * I1: the pending link (with its marker) is committed before the remote create, so a retry after a
 * crash finds it and searches the remote for the marker instead of creating a second item.
 */
export async function ensurePendingLink(db: Db, bindingId: string, storyId: string, marker: string): Promise<{ link: ExternalLink; fresh: boolean }> {
  const inserted = await db
    .insert(externalLinks)
    .values({ bindingId, storyId, marker })
    .onConflictDoNothing({ target: [externalLinks.bindingId, externalLinks.storyId] })
    .returning({ id: externalLinks.id });
  return { link: (await getLink(db, bindingId, storyId))!, fresh: inserted.length > 0 };
}

/**
 * Records what the remote holds after our write: the snapshot the next pull compares with (E1).
 * `snapshot` defaults to the item's fields; `remoteUpdatedAt` to its timestamp (the point from which
 * the next pull lists comments).
 */
export async function recordRemote(db: Db, linkId: string, item: RemoteItem, opts: { snapshot?: Snapshot; remoteUpdatedAt?: string | null } = {}): Promise<void> {
  await db
    .update(externalLinks)
    .set({
      remoteId: item.remoteId, remoteKey: item.key, remoteUrl: item.url, snapshot: opts.snapshot ?? { fields: item.fields },
      remoteUpdatedAt: opts.remoteUpdatedAt !== undefined ? opts.remoteUpdatedAt : item.updatedAt, remoteVersion: item.version ?? null, syncedAt: new Date(),
      writeSeq: sql`nextval('link_write_seq')`,
    })
    .where(eq(externalLinks.id, linkId));
}

export async function setSnapshot(db: Db, linkId: string, snapshot: Snapshot): Promise<void> {
  await db.update(externalLinks).set({ snapshot }).where(eq(externalLinks.id, linkId));
}

/**
 * A number from the links' write sequence, taken by a pull before it fetches a page: a link whose
 * `writeSeq` is larger was written by a push that may have changed the remote after the fetch.
 */
export async function takeWriteSeq(db: Db): Promise<number> {
  const [row] = await queryRows<{ seq: string }>(db, sql`select nextval('link_write_seq') as seq`);
  return Number(row!.seq);
}
