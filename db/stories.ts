import { and, asc, count, eq, gt, inArray, isNotNull, isNull, type SQL } from 'drizzle-orm';
import type { HubStory } from '../plugins/types';
import type { Db } from './client';
import { storyFields } from './fields';
import { externalLinks, stories } from './schema';

export type Story = typeof stories.$inferSelect;

export async function listStories(db: Db, projectId: string, opts: { limit: number; offset: number; includeDeleted: boolean }) {
  const where = opts.includeDeleted ? eq(stories.projectId, projectId) : and(eq(stories.projectId, projectId), isNull(stories.deletedAt));
  const [items, [total]] = await Promise.all([
    db.select().from(stories).where(where).orderBy(asc(stories.createdAt), asc(stories.id)).limit(opts.limit).offset(opts.offset),
    db.select({ n: count() }).from(stories).where(where),
  ]);
  return { items, total: total?.n ?? 0 };
}

export async function getStory(db: Db, id: string): Promise<Story | undefined> {
  const [row] = await db.select().from(stories).where(eq(stories.id, id));
  return row;
}

export async function getStories(db: Db, ids: string[]): Promise<Story[]> {
  return ids.length ? db.select().from(stories).where(inArray(stories.id, ids)) : [];
}

/** What a link shows outside the engine: never its marker or its snapshot. */
const linkColumns = { remoteId: externalLinks.remoteId, remoteKey: externalLinks.remoteKey, remoteUrl: externalLinks.remoteUrl, syncedAt: externalLinks.syncedAt };

export async function storyLinks(db: Db, storyId: string) {
  return db.select({ bindingId: externalLinks.bindingId, ...linkColumns }).from(externalLinks).where(eq(externalLinks.storyId, storyId));
}

/** Which of a binding's project's stories to read, for a plugin's hub view (ActionContext.hub). */
export interface BindingStoriesQuery {
  /** Stories whose id sorts after this one (the last of the previous page). */
  after?: string;
  limit: number;
  /** true: only stories with an item on the binding; false: only those without. */
  linked?: boolean;
  includeDeleted: boolean;
}

/** A page of the binding's project's stories in id order, each with its link on the binding. */
export async function bindingStories(db: Db, binding: { id: string; projectId: string }, query: BindingStoriesQuery): Promise<HubStory[]> {
  const where = [eq(stories.projectId, binding.projectId)];
  if (!query.includeDeleted) where.push(isNull(stories.deletedAt));
  if (query.after !== undefined) where.push(gt(stories.id, query.after));
  if (query.linked !== undefined) where.push(query.linked ? isNotNull(externalLinks.remoteId) : isNull(externalLinks.remoteId));
  return withBindingLink(db, binding.id, where, query.limit);
}

/** One story of the binding's project (deleted or not) with its link on the binding. */
export async function bindingStory(db: Db, binding: { id: string; projectId: string }, storyId: string): Promise<HubStory | undefined> {
  const [story] = await withBindingLink(db, binding.id, [eq(stories.projectId, binding.projectId), eq(stories.id, storyId)], 1);
  return story;
}

async function withBindingLink(db: Db, bindingId: string, where: SQL[], limit: number): Promise<HubStory[]> {
  const rows = await db
    .select({ story: stories, link: { ...linkColumns, remoteUpdatedAt: externalLinks.remoteUpdatedAt, remoteVersion: externalLinks.remoteVersion } })
    .from(stories)
    .leftJoin(externalLinks, and(eq(externalLinks.storyId, stories.id), eq(externalLinks.bindingId, bindingId)))
    .where(and(...where))
    .orderBy(asc(stories.id))
    .limit(limit);
  const iso = (at: Date | null) => at?.toISOString() ?? null;
  return rows.map(({ story, link }) => ({
    id: story.id, projectId: story.projectId, fields: storyFields(story), version: story.version,
    createdAt: story.createdAt.toISOString(), updatedAt: story.updatedAt.toISOString(), deletedAt: iso(story.deletedAt),
    // A link whose create is still pending has no item yet.
    link: link?.remoteId ? { ...link, remoteId: link.remoteId, syncedAt: iso(link.syncedAt) } : null,
  }));
}

export async function countLinks(db: Db, bindingId: string): Promise<number> {
  const [row] = await db.select({ n: count() }).from(externalLinks).where(eq(externalLinks.bindingId, bindingId));
  return row?.n ?? 0;
}
