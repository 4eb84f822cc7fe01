import { and, asc, eq, inArray, isNull } from 'drizzle-orm';
import type { RemoteComment } from '../connectors/types';
import type { Db } from './client';
import { insertOutboxEvent } from './outbox';
import { commentLinks, comments, stories } from './schema';

/**
 * Upserts a story's remote comments through the comment map: new ones are created, edited ones
 * updated, known and unchanged ones untouched. Returns how many hub comments were written.
 */
export async function applyRemoteComments(
  db: Db,
  binding: { id: string; projectId: string },
  storyId: string,
  remote: RemoteComment[],
  opts: { edits?: boolean } = {},
): Promise<number> {
  if (!remote.length) return 0;
  return db.transaction(async (txRaw) => {
    const tx = txRaw as unknown as Db;
    const links = await tx
      .select()
      .from(commentLinks)
      .where(and(eq(commentLinks.bindingId, binding.id), inArray(commentLinks.remoteCommentId, remote.map((c) => c.remoteId))));
    const known = new Map(links.map((l) => [l.remoteCommentId, l]));
    const [story] = await tx.select({ version: stories.version }).from(stories).where(eq(stories.id, storyId));
    let written = 0;
    for (const c of remote) {
      const link = known.get(c.remoteId);
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

export async function listComments(db: Db, storyId: string) {
  return db.select().from(comments).where(and(eq(comments.storyId, storyId), isNull(comments.deletedAt))).orderBy(asc(comments.createdAt));
}
