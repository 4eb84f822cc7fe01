import { and, eq, inArray, isNotNull, isNull, lt, or, sql } from 'drizzle-orm';
import type { ItemFields, RemoteItem } from '../connectors/types';
import type { Db } from './client';
import { diffFields, type Snapshot } from './fields';
import { insertOutboxEvent } from './outbox';
import { externalLinks, inbox, stories } from './schema';

export interface SyncBinding { id: string; projectId: string; importPolicy: string }

export interface PageCounts { created: number; updated: number; unchanged: number; failed: number; inboxed: number }

export interface PageResult {
  counts: PageCounts;
  /** Items whose remote timestamp moved: their comments may have changed too. */
  touched: { remoteId: string; storyId: string; since: string | null; commentCount: number | undefined }[];
  errors: { remoteId: string; error: string }[];
}

const zero = (): PageCounts => ({ created: 0, updated: 0, unchanged: 0, failed: 0, inboxed: 0 });

/**
 * Applies one page of remote items to the hub. Idempotent: re-applying a page (an activity retry,
 * the overlap window of an incremental pull) changes nothing. Unchanged items write nothing.
 * One transaction per page; if it fails, items are applied one by one so a bad item only fails itself.
 */
export async function applyRemotePage(db: Db, binding: SyncBinding, items: RemoteItem[], opts: { full: boolean; listedAt: Date }): Promise<PageResult> {
  try {
    return await db.transaction((tx) => applyItems(tx as unknown as Db, binding, items, opts));
  } catch {
    const result: PageResult = { counts: zero(), touched: [], errors: [] };
    for (const item of items) {
      try {
        const one = await db.transaction((tx) => applyItems(tx as unknown as Db, binding, [item], opts));
        for (const k of Object.keys(result.counts) as (keyof PageCounts)[]) result.counts[k] += one.counts[k];
        result.touched.push(...one.touched);
      } catch (err) {
        result.counts.failed++;
        result.errors.push({ remoteId: item.remoteId, error: (err as Error).message });
      }
    }
    return result;
  }
}

async function applyItems(db: Db, binding: SyncBinding, items: RemoteItem[], opts: { full: boolean; listedAt: Date }): Promise<PageResult> {
  const result: PageResult = { counts: zero(), touched: [], errors: [] };
  if (!items.length) return result;
  const ids = items.map((i) => i.remoteId);
  const links = await db.select().from(externalLinks).where(and(eq(externalLinks.bindingId, binding.id), inArray(externalLinks.remoteId, ids)));
  const byRemote = new Map(links.map((l) => [l.remoteId, l]));
  for (const item of items) {
    const link = byRemote.get(item.remoteId);
    if (!link) {
      if (binding.importPolicy === 'review') {
        await upsertInbox(db, binding.id, item);
        result.counts.inboxed++;
        continue;
      }
      const storyId = await createStoryFromRemote(db, binding, item);
      result.counts.created++;
      result.touched.push({ remoteId: item.remoteId, storyId, since: null, commentCount: item.commentCount });
      continue;
    }
    const moved = link.remoteUpdatedAt !== item.updatedAt;
    const changes = diffFields((link.snapshot as Snapshot | null)?.fields, item.fields);
    if (changes.length) {
      await updateStoryFromRemote(db, binding, link.storyId, item.fields, changes);
      result.counts.updated++;
    } else {
      result.counts.unchanged++;
    }
    if (changes.length || moved) {
      await db
        .update(externalLinks)
        .set({ snapshot: { fields: item.fields }, remoteUpdatedAt: item.updatedAt, remoteVersion: item.version ?? null, syncedAt: new Date() })
        .where(eq(externalLinks.id, link.id));
    }
    if (moved) result.touched.push({ remoteId: item.remoteId, storyId: link.storyId, since: link.remoteUpdatedAt, commentCount: item.commentCount });
  }
  if (opts.full) {
    await db.update(externalLinks).set({ listedAt: opts.listedAt }).where(and(eq(externalLinks.bindingId, binding.id), inArray(externalLinks.remoteId, ids)));
  }
  return result;
}

async function upsertInbox(db: Db, bindingId: string, item: RemoteItem) {
  const values = { bindingId, remoteId: item.remoteId, remoteKey: item.key, item: item as unknown as Record<string, unknown> };
  await db.insert(inbox).values(values).onConflictDoUpdate({ target: [inbox.bindingId, inbox.remoteId], set: { item: values.item, remoteKey: item.key } });
}

/** Creates the story and its link in one go; the outbox event carries the origin so it is not pushed back. */
export async function createStoryFromRemote(db: Db, binding: SyncBinding, item: RemoteItem): Promise<string> {
  const [story] = await db.insert(stories).values({ projectId: binding.projectId, ...item.fields }).returning();
  await db.insert(externalLinks).values({
    bindingId: binding.id,
    storyId: story!.id,
    remoteId: item.remoteId,
    remoteKey: item.key,
    remoteUrl: item.url,
    marker: `pulled:${item.remoteId}`,
    snapshot: { fields: item.fields },
    remoteUpdatedAt: item.updatedAt,
    remoteVersion: item.version ?? null,
    syncedAt: new Date(),
  });
  await insertOutboxEvent(db, {
    projectId: binding.projectId, storyId: story!.id, action: 'create', target: 'story', actor: `remote:${item.key}`,
    origin: binding.id, changes: diffFields(undefined, item.fields), storyVersion: story!.version,
  });
  return story!.id;
}

async function updateStoryFromRemote(db: Db, binding: SyncBinding, storyId: string, fields: ItemFields, changes: ReturnType<typeof diffFields>) {
  const set = Object.fromEntries(changes.map((c) => [c.field, fields[c.field as keyof ItemFields]]));
  const [story] = await db
    .update(stories)
    .set({ ...set, version: sql`${stories.version} + 1`, updatedAt: new Date() })
    .where(eq(stories.id, storyId))
    .returning({ version: stories.version });
  await insertOutboxEvent(db, {
    projectId: binding.projectId, storyId, action: 'modify', target: 'story', actor: 'remote', origin: binding.id, changes, storyVersion: story!.version,
  });
}

/** Linked items a complete full listing (started at `listedAt`) did not return. */
export async function unlistedLinks(db: Db, bindingId: string, listedAt: Date) {
  return db
    .select({ linkId: externalLinks.id, storyId: externalLinks.storyId, remoteId: externalLinks.remoteId })
    .from(externalLinks)
    .innerJoin(stories, eq(stories.id, externalLinks.storyId))
    .where(and(
      eq(externalLinks.bindingId, bindingId),
      isNotNull(externalLinks.remoteId),
      isNull(stories.deletedAt),
      or(isNull(externalLinks.listedAt), lt(externalLinks.listedAt, listedAt)),
    ));
}

/** Soft-deletes a story whose remote item is gone, recording where the deletion came from. */
export async function softDeleteFromRemote(db: Db, binding: SyncBinding, storyId: string): Promise<void> {
  await db.transaction(async (tx) => {
    const [story] = await tx
      .update(stories)
      .set({ deletedAt: new Date(), version: sql`${stories.version} + 1`, updatedAt: new Date() })
      .where(and(eq(stories.id, storyId), isNull(stories.deletedAt)))
      .returning({ version: stories.version });
    if (!story) return;
    await insertOutboxEvent(tx as unknown as Db, {
      projectId: binding.projectId, storyId, action: 'delete', target: 'story', actor: 'remote', origin: binding.id, changes: [], storyVersion: story.version,
    });
  });
}
