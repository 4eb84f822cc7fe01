import { and, asc, count, eq, inArray, isNull } from 'drizzle-orm';
import type { Db } from './client';
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

export async function storyLinks(db: Db, storyId: string) {
  return db
    .select({ bindingId: externalLinks.bindingId, remoteId: externalLinks.remoteId, remoteKey: externalLinks.remoteKey, remoteUrl: externalLinks.remoteUrl, syncedAt: externalLinks.syncedAt })
    .from(externalLinks)
    .where(eq(externalLinks.storyId, storyId));
}

export async function countLinks(db: Db, bindingId: string): Promise<number> {
  const [row] = await db.select({ n: count() }).from(externalLinks).where(eq(externalLinks.bindingId, bindingId));
  return row?.n ?? 0;
}
