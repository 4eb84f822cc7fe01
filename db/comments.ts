import { and, asc, eq, inArray, isNull, ne } from 'drizzle-orm';
import type { RemoteComment } from '../connectors/types';
import type { Db } from './client';
import { insertOutboxEvent } from './outbox';
import { commentLinks, comments } from './schema';

export type CommentLink = typeof commentLinks.$inferSelect;

/** A binding's links to these remote comments. */
export async function commentLinksByRemoteIds(db: Db, bindingId: string, remoteIds: string[]): Promise<CommentLink[]> {
  return db.select().from(commentLinks).where(and(eq(commentLinks.bindingId, bindingId), inArray(commentLinks.remoteCommentId, remoteIds)));
}

/**
 * A remote edit of a comment the binding already has comes into the hub (origin: the binding).
 * `storyVersion` is the story's version its outbox event carries.
 */
export async function updateCommentFromRemote(
  db: Db, binding: { id: string; projectId: string }, storyId: string, link: CommentLink, remote: RemoteComment, storyVersion: number,
): Promise<void> {
  await db.update(comments).set({ body: remote.body, updatedAt: new Date() }).where(eq(comments.id, link.commentId));
  await db.update(commentLinks).set({ syncedBody: remote.body }).where(eq(commentLinks.id, link.id));
  await insertOutboxEvent(db, {
    projectId: binding.projectId, storyId, action: 'comment', target: `comment:${link.commentId}`, actor: remote.author,
    origin: binding.id, changes: [{ field: 'comment', added: remote.body, removed: link.syncedBody }], storyVersion,
  });
}

/** A remote comment the hub has not got comes in, linked to it (origin: the binding, so it is never pushed back there). */
export async function insertCommentFromRemote(
  db: Db, binding: { id: string; projectId: string }, storyId: string, remote: RemoteComment, storyVersion: number,
): Promise<void> {
  const [row] = await db
    .insert(comments)
    .values({ storyId, author: remote.author, body: remote.body, origin: binding.id, createdAt: new Date(remote.createdAt), updatedAt: new Date(remote.updatedAt) })
    .returning({ id: comments.id });
  await db.insert(commentLinks).values({ bindingId: binding.id, commentId: row!.id, remoteCommentId: remote.remoteId, syncedBody: remote.body });
  await insertOutboxEvent(db, {
    projectId: binding.projectId, storyId, action: 'comment', target: 'comment', actor: remote.author,
    origin: binding.id, changes: [{ field: 'comment', added: remote.body, removed: null }], storyVersion,
  });
}

/** Comment links of a story on a binding whose remote post has not been confirmed. */
export async function pendingCommentLinks(db: Db, bindingId: string, storyId: string): Promise<CommentLink[]> {
  const rows = await db
    .select({ link: commentLinks })
    .from(commentLinks)
    .innerJoin(comments, eq(comments.id, commentLinks.commentId))
    .where(and(eq(commentLinks.bindingId, bindingId), isNull(commentLinks.remoteCommentId), eq(comments.storyId, storyId)))
    .orderBy(asc(commentLinks.createdAt));
  return rows.map((r) => r.link);
}

/** A story's hub comments as one binding sees them: every comment it did not bring in, with its link there if any. */
export async function commentsForPush(db: Db, bindingId: string, storyId: string) {
  return db
    .select({ comment: comments, link: commentLinks })
    .from(comments)
    .leftJoin(commentLinks, and(eq(commentLinks.commentId, comments.id), eq(commentLinks.bindingId, bindingId)))
    .where(and(eq(comments.storyId, storyId), isNull(comments.deletedAt), ne(comments.origin, bindingId)))
    .orderBy(asc(comments.createdAt));
}

/**
 * Records that a comment is about to be posted (the `begin` of its write-ahead, sync/pending.ts). Returns
 * the link and whether it is new; an existing pending link means an earlier attempt may have posted it.
 */
export async function beginCommentPost(db: Db, bindingId: string, commentId: string, body: string): Promise<{ link: CommentLink; fresh: boolean }> {
  const [inserted] = await db.insert(commentLinks).values({ bindingId, commentId, remoteCommentId: null, syncedBody: body }).onConflictDoNothing().returning();
  if (inserted) return { link: inserted, fresh: true };
  const [existing] = await db.select().from(commentLinks).where(and(eq(commentLinks.bindingId, bindingId), eq(commentLinks.commentId, commentId)));
  return { link: existing!, fresh: false };
}

/** The remote comment a link stands for, and its body as now synced (after a post, an adoption or an edit). */
export async function recordCommentSynced(db: Db, linkId: string, remoteCommentId: string, body: string): Promise<void> {
  await db.update(commentLinks).set({ remoteCommentId, syncedBody: body }).where(eq(commentLinks.id, linkId));
}

/** Remote comment ids of a story already linked on a binding (an adoption must not take one of them). */
export async function linkedRemoteCommentIds(db: Db, bindingId: string, remoteIds: string[]): Promise<Set<string>> {
  if (!remoteIds.length) return new Set();
  const rows = await db
    .select({ id: commentLinks.remoteCommentId })
    .from(commentLinks)
    .where(and(eq(commentLinks.bindingId, bindingId), inArray(commentLinks.remoteCommentId, remoteIds)));
  return new Set(rows.map((r) => r.id!));
}

export async function listComments(db: Db, storyId: string) {
  return db.select().from(comments).where(and(eq(comments.storyId, storyId), isNull(comments.deletedAt))).orderBy(asc(comments.createdAt));
}
