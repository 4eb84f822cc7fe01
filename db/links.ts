import { and, eq, inArray, isNull, or, sql } from 'drizzle-orm';
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
 * crash finds it and searches the remote for the marker instead of creating a second item. The `begin`
 * of an item's write-ahead (sync/pending.ts).
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

/** A binding's links to these remote items, and its pending links (remote id still null). */
export async function linksOfPage(db: Db, bindingId: string, remoteIds: string[]): Promise<ExternalLink[]> {
  return db.select().from(externalLinks).where(and(eq(externalLinks.bindingId, bindingId), or(inArray(externalLinks.remoteId, remoteIds), isNull(externalLinks.remoteId))));
}

/** A binding's links to these remote items. */
export async function linksByRemoteIds(db: Db, bindingId: string, remoteIds: string[]): Promise<ExternalLink[]> {
  return db.select().from(externalLinks).where(and(eq(externalLinks.bindingId, bindingId), inArray(externalLinks.remoteId, remoteIds)));
}

/** Gives a pending link the remote item it stands for, unless another writer did first. */
export async function adoptPendingLink(db: Db, linkId: string, item: RemoteItem, snapshot: Snapshot): Promise<void> {
  await db
    .update(externalLinks)
    .set({ remoteId: item.remoteId, remoteKey: item.key, remoteUrl: item.url, snapshot, remoteVersion: item.version ?? null, syncedAt: new Date() })
    .where(and(eq(externalLinks.id, linkId), isNull(externalLinks.remoteId)));
}

/** Records what a pull saw of a linked item: the snapshot it settled on and the item's timestamp and version. */
export async function recordPulled(
  db: Db, linkId: string, item: RemoteItem, snapshot: Snapshot, opts: { commentsSyncedAt?: string } = {},
): Promise<void> {
  await db
    .update(externalLinks)
    .set({ snapshot, remoteUpdatedAt: item.updatedAt, remoteVersion: item.version ?? null, syncedAt: new Date(), ...opts })
    .where(eq(externalLinks.id, linkId));
}

/** Stamps the links a full listing returned (see unlistedLinks). */
export async function markListed(db: Db, bindingId: string, remoteIds: string[], listedAt: Date): Promise<void> {
  await db.update(externalLinks).set({ listedAt }).where(and(eq(externalLinks.bindingId, bindingId), inArray(externalLinks.remoteId, remoteIds)));
}
