import { and, eq, isNotNull, isNull, lt, or, sql } from 'drizzle-orm';
import type { ItemFields, RemoteItem } from '../connectors/types';
import { withTx, type Db } from './client';
import { diffFields, type Snapshot } from './fields';
import { insertOutboxEvent } from './outbox';
import { bindings, externalLinks, stories } from './schema';

/** The binding a remote change came from: the origin of its outbox events, so they are never pushed back to it. */
export interface OriginBinding { id: string; projectId: string }

/** A story to create from a remote item, as the pull decided it. */
export interface PulledStory {
  id: string;
  item: RemoteItem;
  fields: ItemFields;
  snapshot: Snapshot;
  /** Set for an item with nothing else to fetch: its comments count as pulled. */
  commentsSyncedAt: string | null;
}

/**
 * Creates stories for remote items with their links and outbox events (origin = the binding): one insert
 * per table whatever the number of items, each taking its rows as one JSON parameter. Ids come with the
 * rows, so nothing depends on the order RETURNING gives rows back. `listedAt` stamps the links for a full listing.
 */
export async function insertStoriesFromRemote(db: Db, binding: OriginBinding, rows: PulledStory[], listedAt: Date | null): Promise<void> {
  if (!rows.length) return;
  const json = (values: unknown[]) => JSON.stringify(values);
  await db.execute(sql`
    insert into stories (id, project_id, title, description, status, closed, priority, assignee, labels, custom_fields, version)
    select x.id, ${binding.projectId}::uuid, x.title, x.description, x.status, x.closed, x.priority, x.assignee, x.labels, x.custom_fields, 1
    from jsonb_to_recordset(${json(rows.map(({ id, fields: f }) => ({ ...f, id, custom_fields: f.customFields })))}::jsonb)
      as x(id uuid, title text, description text, status text, closed boolean, priority text, assignee text, labels jsonb, custom_fields jsonb)`);
  await db.execute(sql`
    insert into external_links (binding_id, story_id, remote_id, remote_key, remote_url, marker, snapshot, remote_updated_at, remote_version, synced_at, listed_at, comments_synced_at)
    select ${binding.id}::uuid, x.story_id, x.remote_id, x.remote_key, x.remote_url, x.marker, x.snapshot, x.remote_updated_at, x.remote_version, now(),
      ${listedAt?.toISOString() ?? null}::timestamptz, x.comments_synced_at
    from jsonb_to_recordset(${json(rows.map(({ item, snapshot, id, commentsSyncedAt }) => ({
      story_id: id, remote_id: item.remoteId, remote_key: item.key, remote_url: item.url, marker: `pulled:${item.remoteId}`,
      snapshot, remote_updated_at: item.updatedAt, remote_version: item.version ?? null, comments_synced_at: commentsSyncedAt,
    })))}::jsonb) as x(story_id uuid, remote_id text, remote_key text, remote_url text, marker text, snapshot jsonb, remote_updated_at text, remote_version text, comments_synced_at text)`);
  await db.execute(sql`
    insert into outbox_events (project_id, story_id, action, target, actor, origin, changes, story_version)
    select ${binding.projectId}::uuid, x.story_id, 'create', 'story', x.actor, ${binding.id}, x.changes, 1
    from jsonb_to_recordset(${json(rows.map(({ item, id, fields }) => ({ story_id: id, actor: `remote:${item.key}`, changes: diffFields(undefined, fields) })))}::jsonb)
      as x(story_id uuid, actor text, changes jsonb)`);
}

/** Applies remote values to a story (as of `expectedVersion` when given): its new version, or null when the story moved on meanwhile. */
export async function updateStoryFromRemote(
  db: Db, binding: OriginBinding, storyId: string, changes: ReturnType<typeof diffFields>, expectedVersion?: number,
): Promise<number | null> {
  const set = Object.fromEntries(changes.map((c) => [c.field, c.added]));
  const [story] = await db
    .update(stories)
    .set({ ...set, version: sql`${stories.version} + 1`, updatedAt: new Date() })
    .where(expectedVersion === undefined ? eq(stories.id, storyId) : and(eq(stories.id, storyId), eq(stories.version, expectedVersion)))
    .returning({ version: stories.version });
  if (!story) return null;
  await insertOutboxEvent(db, {
    projectId: binding.projectId, storyId, action: 'modify', target: 'story', actor: 'remote', origin: binding.id, changes, storyVersion: story.version,
  });
  return story.version;
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

/** Every linked item of a live story: what an id-only sweep checks against. */
export async function liveLinks(db: Db, bindingId: string) {
  return db
    .select({ linkId: externalLinks.id, storyId: externalLinks.storyId, remoteId: externalLinks.remoteId })
    .from(externalLinks)
    .innerJoin(stories, eq(stories.id, externalLinks.storyId))
    .where(and(eq(externalLinks.bindingId, bindingId), isNotNull(externalLinks.remoteId), isNull(stories.deletedAt)));
}

/** Whether the binding's last deletion sweep finished at least `minutes` before `now` (or never ran). */
export async function sweepDue(db: Db, bindingId: string, minutes: number, now: Date): Promise<boolean> {
  const [row] = await db.select({ at: bindings.lastSweptAt }).from(bindings).where(eq(bindings.id, bindingId));
  return !!row && (row.at === null || now.getTime() - row.at.getTime() >= minutes * 60_000);
}

export async function markSwept(db: Db, bindingId: string, at: Date): Promise<void> {
  await db.update(bindings).set({ lastSweptAt: at }).where(eq(bindings.id, bindingId));
}

/** Soft-deletes a story whose remote item is gone, recording where the deletion came from. */
export async function softDeleteFromRemote(db: Db, binding: OriginBinding, storyId: string): Promise<void> {
  await withTx(db, async (tx) => {
    const [story] = await tx
      .update(stories)
      .set({ deletedAt: new Date(), version: sql`${stories.version} + 1`, updatedAt: new Date() })
      .where(and(eq(stories.id, storyId), isNull(stories.deletedAt)))
      .returning({ version: stories.version });
    if (!story) return;
    await insertOutboxEvent(tx, {
      projectId: binding.projectId, storyId, action: 'delete', target: 'story', actor: 'remote', origin: binding.id, changes: [], storyVersion: story.version,
    });
  });
}

/** Marks an item's comments as pulled up to its remote timestamp. */
export async function markCommentsSynced(db: Db, bindingId: string, remoteId: string, updatedAt: string): Promise<void> {
  await db.update(externalLinks).set({ commentsSyncedAt: updatedAt }).where(and(eq(externalLinks.bindingId, bindingId), eq(externalLinks.remoteId, remoteId)));
}
