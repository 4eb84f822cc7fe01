import { randomUUID } from 'node:crypto';
import { and, eq, inArray, isNotNull, isNull, lt, or, sql } from 'drizzle-orm';
import type { ItemFields, RemoteItem } from '../connectors/types';
import { markerComment } from '../connectors/marker';
import { decidePull, effectiveRules, HUB_DEFAULTS, sameJson, snapshotOf, type EffectiveRules } from '../rules';
import { withTx, type Db } from './client';
import { addRunCounts } from './runs';
import { diffFields, storyFields, type Snapshot } from './fields';
import { insertOutboxEvent } from './outbox';
import { addRuleMessages, hubView, projectKey, recordWarnings } from './rules';
import { externalLinks, inbox, stories } from './schema';

/** `rules` is the binding's stored rule set (null: the defaults). */
export interface SyncBinding { id: string; projectId: string; importPolicy: string; rules?: unknown }

export interface ApplyOptions {
  full: boolean;
  listedAt: Date;
  /** The binding's effective rules; without them, every field syncs two-way. */
  rules?: EffectiveRules;
  /**
   * The run whose counts this page adds to. They are added in the page's own transaction, so an
   * attempt that dies after committing still counts, and a retry cannot make its items vanish.
   */
  runId?: string;
  /**
   * Items with nothing to fetch besides themselves (no comments, no files): their comment mark is set
   * with the item, and they are not handed back as touched.
   */
  settled?: (item: RemoteItem) => boolean;
  /**
   * The checkpoint to store with the page's counts when no item is left for a later phase: then the
   * page is done when its transaction commits. Not used when items are applied one by one.
   */
  checkpoint?: (result: PageResult) => Record<string, unknown>;
  /**
   * The links' write sequence as taken before the page was fetched: a link a push wrote after that may
   * hold something newer than the page, so the item is left for the next pull rather than applied.
   */
  fetchedAtSeq?: number;
}

export interface PageCounts { created: number; updated: number; unchanged: number; failed: number; inboxed: number }

/** An item whose comments need pulling: new, or its remote timestamp moved past the comments last pulled. */
export interface TouchedItem { remoteId: string; storyId: string; since: string | null; updatedAt: string; commentCount: number | undefined }

export interface PageResult {
  counts: PageCounts;
  /** Items whose remote timestamp moved: their comments may have changed too. */
  touched: TouchedItem[];
  errors: { remoteId: string; error: string }[];
  /** Whether the checkpoint was stored with the page. */
  checkpointed?: boolean;
}

const zero = (): PageCounts => ({ created: 0, updated: 0, unchanged: 0, failed: 0, inboxed: 0 });

/**
 * Applies one page of remote items to the hub. Idempotent: re-applying a page (an activity retry,
 * the overlap window of an incremental pull) changes nothing. Unchanged items write nothing.
 * One transaction per page; if it fails, items are applied one by one so a bad item only fails itself.
 */
export async function applyRemotePage(db: Db, binding: SyncBinding, items: RemoteItem[], opts: ApplyOptions): Promise<PageResult> {
  const counted = async (tx: Db, page: RemoteItem[], whole: boolean) => {
    const result = await applyItems(tx, binding, page, opts);
    const checkpoint = whole && !result.touched.length && opts.checkpoint ? { checkpoint: opts.checkpoint(result) } : undefined;
    if (opts.runId) await addRunCounts(tx, opts.runId, result.counts, checkpoint);
    return checkpoint ? { ...result, checkpointed: true } : result;
  };
  try {
    return await withTx(db, (tx) => counted(tx, items, true));
  } catch {
    const result: PageResult = { counts: zero(), touched: [], errors: [] };
    for (const item of items) {
      try {
        const one = await withTx(db, (tx) => counted(tx, [item], false));
        for (const k of Object.keys(result.counts) as (keyof PageCounts)[]) result.counts[k] += one.counts[k];
        result.touched.push(...one.touched);
      } catch (err) {
        result.counts.failed++;
        result.errors.push({ remoteId: item.remoteId, error: (err as Error).message });
        if (opts.runId) await addRunCounts(db, opts.runId, { ...zero(), failed: 1 });
      }
    }
    return result;
  }
}

async function applyItems(db: Db, binding: SyncBinding, items: RemoteItem[], opts: ApplyOptions): Promise<PageResult> {
  const result: PageResult = { counts: zero(), touched: [], errors: [] };
  if (!items.length) return result;
  const rules = opts.rules ?? effectiveRules(binding.rules ?? null, '');
  const ids = items.map((i) => i.remoteId);
  const links = await db.select().from(externalLinks).where(and(eq(externalLinks.bindingId, binding.id), inArray(externalLinks.remoteId, ids)));
  const byRemote = new Map(links.map((l) => [l.remoteId, l]));
  const storyRows = links.length ? await db.select().from(stories).where(inArray(stories.id, links.map((l) => l.storyId))) : [];
  const byStory = new Map(storyRows.map((s) => [s.id, s]));
  const key = await projectKey(db, binding.projectId);
  const warnings: string[] = [];
  const pending = await db.select().from(externalLinks).where(and(eq(externalLinks.bindingId, binding.id), isNull(externalLinks.remoteId)));
  // New items are created together: three set-based inserts per page instead of three per item.
  const toCreate = new Map<string, RemoteItem>();
  for (const item of items) {
    let link = byRemote.get(item.remoteId);
    // An item a push created but had not linked yet (it died in between): adopt it, never import it as a new story (I1).
    const adopt = link ? undefined : pending.find((p) => JSON.stringify(item.raw).includes(JSON.stringify(markerComment(p.marker)).slice(1, -1)));
    if (adopt) {
      // The create's write-ahead snapshot (what it sent), so edits made remotely since then are applied below.
      const snapshot = (adopt.snapshot as Snapshot | null) ?? snapshotOf(rules, item);
      await db
        .update(externalLinks)
        .set({ remoteId: item.remoteId, remoteKey: item.key, remoteUrl: item.url, snapshot, remoteVersion: item.version ?? null, syncedAt: new Date() })
        .where(and(eq(externalLinks.id, adopt.id), isNull(externalLinks.remoteId)));
      link = { ...adopt, remoteId: item.remoteId, snapshot };
      const [story] = await db.select().from(stories).where(eq(stories.id, adopt.storyId));
      if (story) byStory.set(story.id, story);
    }
    if (link && opts.fetchedAtSeq !== undefined && link.writeSeq > opts.fetchedAtSeq) {
      // A push wrote this item while the page was on its way: the page may show it as it was before.
      // Its write moved the item's timestamp, so the next pull lists it again.
      result.counts.unchanged++;
      continue;
    }
    if (!link) {
      if (binding.importPolicy === 'review') {
        await upsertInbox(db, binding.id, item);
        result.counts.inboxed++;
        continue;
      }
      toCreate.set(item.remoteId, item);
      continue;
    }
    const moved = link.remoteUpdatedAt !== item.updatedAt;
    const story = byStory.get(link.storyId);
    const snapshot = link.snapshot as Snapshot | null;
    const decision = decidePull(rules, {
      hub: story ? hubView(story, key) : null, remote: item, snapshot, hubUpdatedAt: story?.updatedAt.toISOString(),
    });
    warnings.push(...decision.warnings);
    const before = story ? storyFields(story) : undefined;
    const changes = before ? diffFields(before, { ...before, ...decision.set }) : [];
    if (changes.length) {
      await updateStoryFromRemote(db, binding, link.storyId, changes);
      result.counts.updated++;
    } else {
      result.counts.unchanged++;
    }
    if (decision.messages.length) await addRuleMessages(db, binding, link.storyId, decision.messages);
    const settled = link.commentsSyncedAt !== item.updatedAt && opts.settled?.(item) === true;
    if (moved || settled || !sameSnapshot(snapshot, decision.snapshot)) {
      await db
        .update(externalLinks)
        .set({
          snapshot: decision.snapshot, remoteUpdatedAt: item.updatedAt, remoteVersion: item.version ?? null, syncedAt: new Date(),
          ...(settled ? { commentsSyncedAt: item.updatedAt } : {}),
        })
        .where(eq(externalLinks.id, link.id));
    }
    if (link.commentsSyncedAt !== item.updatedAt && !settled) {
      result.touched.push({ remoteId: item.remoteId, storyId: link.storyId, since: link.commentsSyncedAt, updatedAt: item.updatedAt, commentCount: item.commentCount });
    }
  }
  const created = await createStoriesFromRemote(db, binding, [...toCreate.values()], rules, warnings, { listedAt: opts.full ? opts.listedAt : null, settled: opts.settled });
  for (const [i, item] of [...toCreate.values()].entries()) {
    result.counts.created++;
    if (opts.settled?.(item)) continue;
    result.touched.push({ remoteId: item.remoteId, storyId: created[i]!, since: null, updatedAt: item.updatedAt, commentCount: item.commentCount });
  }
  await recordWarnings(db, binding.id, warnings);
  // New links were stamped as they were inserted; the others are stamped here.
  const listed = ids.filter((id) => !toCreate.has(id));
  if (opts.full && listed.length) {
    await db.update(externalLinks).set({ listedAt: opts.listedAt }).where(and(eq(externalLinks.bindingId, binding.id), inArray(externalLinks.remoteId, listed)));
  }
  return result;
}

async function upsertInbox(db: Db, bindingId: string, item: RemoteItem) {
  const values = { bindingId, remoteId: item.remoteId, remoteKey: item.key, item: item as unknown as Record<string, unknown> };
  await db.insert(inbox).values(values).onConflictDoUpdate({ target: [inbox.bindingId, inbox.remoteId], set: { item: values.item, remoteKey: item.key } });
}

/**
 * Creates the story and its link in one go, with the fields the rules take from the remote; the outbox
 * event carries the origin so it is not pushed back.
 */
export async function createStoryFromRemote(db: Db, binding: SyncBinding, item: RemoteItem, rules?: EffectiveRules, warnings: string[] = []): Promise<string> {
  return (await createStoriesFromRemote(db, binding, [item], rules ?? effectiveRules(binding.rules ?? null, ''), warnings))[0]!;
}

/**
 * Creates stories for remote items with their links and outbox events (origin = the binding, so
 * they are never pushed back to it): one insert per table whatever the number of items, each taking
 * its rows as one JSON parameter. Ids are generated here, so nothing depends on the order RETURNING
 * gives rows back. `listedAt` stamps the links for a full listing; `settled` items get their comment mark.
 */
export async function createStoriesFromRemote(
  db: Db, binding: SyncBinding, items: RemoteItem[], rules: EffectiveRules, warnings: string[],
  opts: { listedAt?: Date | null; settled?: ((item: RemoteItem) => boolean) | undefined } = {},
): Promise<string[]> {
  if (!items.length) return [];
  const prepared = items.map((item) => {
    const decision = decidePull(rules, { hub: null, remote: item, snapshot: null });
    warnings.push(...decision.warnings);
    return { item, decision, id: randomUUID(), fields: { ...HUB_DEFAULTS, ...decision.set } as ItemFields };
  });
  const rows = (values: unknown[]) => JSON.stringify(values);
  await db.execute(sql`
    insert into stories (id, project_id, title, description, status, closed, priority, assignee, labels, custom_fields, version)
    select x.id, ${binding.projectId}::uuid, x.title, x.description, x.status, x.closed, x.priority, x.assignee, x.labels, x.custom_fields, 1
    from jsonb_to_recordset(${rows(prepared.map(({ id, fields: f }) => ({ ...f, id, custom_fields: f.customFields })))}::jsonb)
      as x(id uuid, title text, description text, status text, closed boolean, priority text, assignee text, labels jsonb, custom_fields jsonb)`);
  await db.execute(sql`
    insert into external_links (binding_id, story_id, remote_id, remote_key, remote_url, marker, snapshot, remote_updated_at, remote_version, synced_at, listed_at, comments_synced_at)
    select ${binding.id}::uuid, x.story_id, x.remote_id, x.remote_key, x.remote_url, x.marker, x.snapshot, x.remote_updated_at, x.remote_version, now(),
      ${opts.listedAt?.toISOString() ?? null}::timestamptz, x.comments_synced_at
    from jsonb_to_recordset(${rows(prepared.map(({ item, decision, id }) => ({
      story_id: id, remote_id: item.remoteId, remote_key: item.key, remote_url: item.url, marker: `pulled:${item.remoteId}`,
      snapshot: decision.snapshot, remote_updated_at: item.updatedAt, remote_version: item.version ?? null,
      comments_synced_at: opts.settled?.(item) ? item.updatedAt : null,
    })))}::jsonb) as x(story_id uuid, remote_id text, remote_key text, remote_url text, marker text, snapshot jsonb, remote_updated_at text, remote_version text, comments_synced_at text)`);
  await db.execute(sql`
    insert into outbox_events (project_id, story_id, action, target, actor, origin, changes, story_version)
    select ${binding.projectId}::uuid, x.story_id, 'create', 'story', x.actor, ${binding.id}, x.changes, 1
    from jsonb_to_recordset(${rows(prepared.map(({ item, id, fields }) => ({ story_id: id, actor: `remote:${item.key}`, changes: diffFields(undefined, fields) })))}::jsonb)
      as x(story_id uuid, actor text, changes jsonb)`);
  for (const p of prepared) if (p.decision.messages.length) await addRuleMessages(db, binding, p.id, p.decision.messages);
  return prepared.map((p) => p.id);
}

const sameSnapshot = (a: Snapshot | null, b: Snapshot) => sameJson(a, b);

/** Applies remote values to a story (as of `expectedVersion` when given); false when the story moved on meanwhile. */
export async function updateStoryFromRemote(
  db: Db, binding: Pick<SyncBinding, 'id' | 'projectId'>, storyId: string, changes: ReturnType<typeof diffFields>, expectedVersion?: number,
): Promise<boolean> {
  const set = Object.fromEntries(changes.map((c) => [c.field, c.added]));
  const [story] = await db
    .update(stories)
    .set({ ...set, version: sql`${stories.version} + 1`, updatedAt: new Date() })
    .where(expectedVersion === undefined ? eq(stories.id, storyId) : and(eq(stories.id, storyId), eq(stories.version, expectedVersion)))
    .returning({ version: stories.version });
  if (!story) return false;
  await insertOutboxEvent(db, {
    projectId: binding.projectId, storyId, action: 'modify', target: 'story', actor: 'remote', origin: binding.id, changes, storyVersion: story.version,
  });
  return true;
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
