import { and, asc, eq, inArray, isNull, ne } from 'drizzle-orm';
import type { RemoteComment } from '../connectors/types';
import { withTx, type Db } from './client';
import { insertOutboxEvent } from './outbox';
import { commentLinks, comments, stories } from './schema';

/** Remotes may normalise line endings and trailing space; a body is the same comment if only that differs. */
export const sameBody = (a: string, b: string): boolean => a.replace(/\r\n?/g, '\n').trim() === b.replace(/\r\n?/g, '\n').trim();

export type CommentLink = typeof commentLinks.$inferSelect;

/**
 * Upserts a story's remote comments through the comment map: new ones are created, edited ones
 * updated, known and unchanged ones untouched. A remote comment whose body matches a comment this
 * binding was posting when it died (a pending link) is that comment, adopted rather than imported.
 * Returns how many hub comments were written.
 */
export async function applyRemoteComments(
  db: Db,
  binding: { id: string; projectId: string },
  storyId: string,
  remote: RemoteComment[],
  opts: { edits?: boolean } = {},
): Promise<number> {
  if (!remote.length) return 0;
  return withTx(db, async (tx) => {
    const links = await tx
      .select()
      .from(commentLinks)
      .where(and(eq(commentLinks.bindingId, binding.id), inArray(commentLinks.remoteCommentId, remote.map((c) => c.remoteId))));
    const known = new Map(links.map((l) => [l.remoteCommentId, l]));
    const pending = await pendingLinks(tx, binding.id, storyId);
    const [story] = await tx.select({ version: stories.version }).from(stories).where(eq(stories.id, storyId));
    let written = 0;
    for (const c of remote) {
      const link = known.get(c.remoteId);
      if (!link) {
        const posted = pending.findIndex((p) => sameBody(p.syncedBody, c.body));
        if (posted >= 0) {
          const [adopted] = pending.splice(posted, 1);
          await tx.update(commentLinks).set({ remoteCommentId: c.remoteId, syncedBody: c.body }).where(eq(commentLinks.id, adopted!.id));
          continue;
        }
      }
      if (link && (link.syncedBody === c.body || opts.edits === false)) continue;
      if (link) {
        await tx.update(comments).set({ body: c.body, updatedAt: new Date() }).where(eq(comments.id, link.commentId));
        await tx.update(commentLinks).set({ syncedBody: c.body }).where(eq(commentLinks.id, link.id));
      } else {
        const [row] = await tx
          .insert(comments)
          .values({ storyId, author: c.author, body: c.body, origin: binding.id, createdAt: new Date(c.createdAt), updatedAt: new Date(c.updatedAt) })
          .returning({ id: comments.id });
        await tx.insert(commentLinks).values({ bindingId: binding.id, commentId: row!.id, remoteCommentId: c.remoteId, syncedBody: c.body });
      }
      await insertOutboxEvent(tx, {
        projectId: binding.projectId, storyId, action: 'comment', target: link ? `comment:${link.commentId}` : 'comment', actor: c.author,
        origin: binding.id, changes: [{ field: 'comment', added: c.body, removed: link?.syncedBody ?? null }], storyVersion: story?.version ?? 0,
      });
      written++;
    }
    return written;
  });
}

/** Comment links of a story on a binding whose remote post has not been confirmed. */
async function pendingLinks(db: Db, bindingId: string, storyId: string): Promise<CommentLink[]> {
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
 * Records that a comment is about to be posted (write-ahead, like a pending item link). Returns the
 * link and whether it is new; an existing pending link means an earlier attempt may have posted it.
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
