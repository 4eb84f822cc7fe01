import { and, eq, isNull, sql } from 'drizzle-orm';
import type { ItemFields } from '../connectors/types';
import { withTx, type Db } from './client';
import { diffFields, storyFields } from './fields';
import { insertOutboxEvent } from './outbox';
import { comments, stories } from './schema';
import type { Story } from './stories';

export const OUTBOX_CHANNEL = 'trackbridge_outbox';

const defaults: ItemFields = { title: '', description: '', status: 'open', closed: false, priority: null, assignee: null, labels: [], customFields: {} };

export class StaleVersionError extends Error {
  constructor(readonly current: number) {
    super(`story has version ${current}`);
    this.name = 'StaleVersionError';
  }
}

/** Wakes the outbox relay; delivered at commit, so it never runs ahead of the data. */
const notify = (db: Db) => db.execute(sql`select pg_notify(${OUTBOX_CHANNEL}, '')`);

export async function createStory(db: Db, projectId: string, fields: Partial<ItemFields> & { title: string }, actor: string): Promise<Story> {
  return withTx(db, async (tx) => {
    const values = { ...defaults, ...fields };
    const [story] = await tx.insert(stories).values({ projectId, ...values }).returning();
    await insertOutboxEvent(tx, { projectId, storyId: story!.id, action: 'create', target: 'story', actor, origin: 'hub', changes: diffFields(undefined, values), storyVersion: story!.version });
    await notify(tx);
    return story!;
  });
}

/**
 * Applies the fields that really change, bumping the version; `expectedVersion` must match
 * (optimistic concurrency) or nothing is written. An update that changes nothing writes nothing.
 */
export async function updateStory(db: Db, storyId: string, expectedVersion: number, fields: Partial<ItemFields>, actor: string): Promise<Story | undefined> {
  return withTx(db, async (tx) => {
    const [current] = await tx.select().from(stories).where(and(eq(stories.id, storyId), isNull(stories.deletedAt))).for('update');
    if (!current) return undefined;
    if (current.version !== expectedVersion) throw new StaleVersionError(current.version);
    const before = storyFields(current);
    const changes = diffFields(before, { ...before, ...fields });
    if (!changes.length) return current;
    const set = Object.fromEntries(changes.map((c) => [c.field, c.added]));
    const [story] = await tx.update(stories).set({ ...set, version: current.version + 1, updatedAt: new Date() }).where(eq(stories.id, storyId)).returning();
    await insertOutboxEvent(tx, { projectId: current.projectId, storyId, action: 'modify', target: 'story', actor, origin: 'hub', changes, storyVersion: story!.version });
    await notify(tx);
    return story!;
  });
}

export async function deleteStory(db: Db, storyId: string, expectedVersion: number, actor: string): Promise<Story | undefined> {
  return withTx(db, async (tx) => {
    const [current] = await tx.select().from(stories).where(and(eq(stories.id, storyId), isNull(stories.deletedAt))).for('update');
    if (!current) return undefined;
    if (current.version !== expectedVersion) throw new StaleVersionError(current.version);
    const [story] = await tx.update(stories).set({ deletedAt: new Date(), version: current.version + 1, updatedAt: new Date() }).where(eq(stories.id, storyId)).returning();
    await insertOutboxEvent(tx, { projectId: current.projectId, storyId, action: 'delete', target: 'story', actor, origin: 'hub', changes: [], storyVersion: story!.version });
    await notify(tx);
    return story!;
  });
}

export async function addComment(db: Db, storyId: string, body: string, author: string) {
  return withTx(db, async (tx) => {
    const [story] = await tx.select().from(stories).where(and(eq(stories.id, storyId), isNull(stories.deletedAt)));
    if (!story) return undefined;
    const [comment] = await tx.insert(comments).values({ storyId, author, body, origin: 'hub' }).returning();
    await insertOutboxEvent(tx, { projectId: story.projectId, storyId, action: 'comment', target: `comment:${comment!.id}`, actor: author, origin: 'hub', changes: [{ field: 'comment', added: body, removed: null }], storyVersion: story.version });
    await notify(tx);
    return comment!;
  });
}

export class ForeignCommentError extends Error {
  constructor(readonly origin: string) {
    super(`comment came from binding ${origin}`);
    this.name = 'ForeignCommentError';
  }
}

/**
 * Edits a hub comment; the edit goes out to every binding the comment was sent to. Comments pulled
 * from a remote belong to their author there and are edited there, not in the hub.
 */
export async function editComment(db: Db, storyId: string, commentId: string, body: string, actor: string) {
  return withTx(db, async (tx) => {
    const [row] = await tx
      .select({ comment: comments, story: stories })
      .from(comments)
      .innerJoin(stories, eq(stories.id, comments.storyId))
      .where(and(eq(comments.id, commentId), eq(comments.storyId, storyId), isNull(comments.deletedAt), isNull(stories.deletedAt)))
      .for('update');
    if (!row) return undefined;
    const { comment, story } = row;
    if (comment.origin !== 'hub') throw new ForeignCommentError(comment.origin);
    if (comment.body === body) return comment;
    const [edited] = await tx.update(comments).set({ body, updatedAt: new Date() }).where(eq(comments.id, commentId)).returning();
    await insertOutboxEvent(tx, { projectId: story.projectId, storyId, action: 'comment', target: `comment:${commentId}`, actor, origin: 'hub', changes: [{ field: 'comment', added: body, removed: comment.body }], storyVersion: story.version });
    await notify(tx);
    return edited!;
  });
}
