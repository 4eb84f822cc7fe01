import { createHash } from 'node:crypto';
import { and, asc, eq, inArray, isNull, ne, sql } from 'drizzle-orm';
import type { RemoteAttachment } from '../connectors/types';
import { withTx, type Db } from './client';
import { OUTBOX_CHANNEL } from './hub';
import { insertOutboxEvent } from './outbox';
import { attachmentLinks, attachments, stories } from './schema';

export type Attachment = Omit<typeof attachments.$inferSelect, 'content'>;
export type AttachmentLink = typeof attachmentLinks.$inferSelect;

/** Everything but the content, which is read only when a file is served or uploaded. */
const meta = {
  id: attachments.id, storyId: attachments.storyId, name: attachments.name, contentType: attachments.contentType, size: attachments.size,
  sha256: attachments.sha256, origin: attachments.origin, author: attachments.author, createdAt: attachments.createdAt, deletedAt: attachments.deletedAt,
};

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

export interface NewFile { name: string; contentType: string; data: Uint8Array; author: string }

/** Attaches a file to a story in the hub; like every hub change, its outbox event is written with it. */
export async function addAttachment(db: Db, storyId: string, file: NewFile): Promise<Attachment | undefined> {
  return withTx(db, async (tx) => {
    const [story] = await tx.select().from(stories).where(and(eq(stories.id, storyId), isNull(stories.deletedAt)));
    if (!story) return undefined;
    const [row] = await tx
      .insert(attachments)
      .values({ storyId, name: file.name, contentType: file.contentType, size: file.data.byteLength, sha256: sha256(file.data), content: Buffer.from(file.data), author: file.author })
      .returning(meta);
    await insertOutboxEvent(tx, {
      projectId: story.projectId, storyId, action: 'attach', target: `attachment:${row!.id}`, actor: file.author, origin: 'hub',
      changes: [{ field: 'attachment', added: file.name, removed: null }], storyVersion: story.version,
    });
    await tx.execute(sql`select pg_notify(${OUTBOX_CHANNEL}, '')`);
    return row!;
  });
}

export async function listAttachments(db: Db, storyId: string): Promise<Attachment[]> {
  return db.select(meta).from(attachments).where(and(eq(attachments.storyId, storyId), isNull(attachments.deletedAt))).orderBy(asc(attachments.createdAt));
}

export async function getAttachment(db: Db, id: string): Promise<(Attachment & { content: Buffer }) | undefined> {
  const [row] = await db.select().from(attachments).where(and(eq(attachments.id, id), isNull(attachments.deletedAt)));
  return row;
}

/** A binding's link to this remote file, if it has one. */
export async function attachmentLinkByRemoteId(db: Db, bindingId: string, remoteId: string): Promise<AttachmentLink | undefined> {
  const [row] = await db.select().from(attachmentLinks).where(and(eq(attachmentLinks.bindingId, bindingId), eq(attachmentLinks.remoteAttachmentId, remoteId)));
  return row;
}

/**
 * A remote file the hub has not got comes in, linked to it (origin: the binding, so it fans out to the
 * other bindings but never back). `storyVersion` is the story's version its outbox event carries.
 */
export async function insertAttachmentFromRemote(
  db: Db, binding: { id: string; projectId: string }, storyId: string, remote: RemoteAttachment, data: Uint8Array, storyVersion: number,
): Promise<void> {
  const [row] = await db
    .insert(attachments)
    .values({
      storyId, name: remote.name, contentType: remote.contentType, size: data.byteLength, sha256: sha256(data), content: Buffer.from(data),
      origin: binding.id, author: remote.author, createdAt: new Date(remote.createdAt),
    })
    .returning({ id: attachments.id });
  await db.insert(attachmentLinks).values({ bindingId: binding.id, attachmentId: row!.id, remoteAttachmentId: remote.remoteId, name: remote.name });
  await insertOutboxEvent(db, {
    projectId: binding.projectId, storyId, action: 'attach', target: `attachment:${row!.id}`, actor: remote.author, origin: binding.id,
    changes: [{ field: 'attachment', added: remote.name, removed: null }], storyVersion,
  });
}

/** Remote attachment ids already linked on a binding (a pull skips them without downloading). */
export async function linkedRemoteAttachmentIds(db: Db, bindingId: string, remoteIds: string[]): Promise<Set<string>> {
  if (!remoteIds.length) return new Set();
  const rows = await db
    .select({ id: attachmentLinks.remoteAttachmentId })
    .from(attachmentLinks)
    .where(and(eq(attachmentLinks.bindingId, bindingId), inArray(attachmentLinks.remoteAttachmentId, remoteIds)));
  return new Set(rows.map((r) => r.id!));
}

/** A story's uploads of this name to a binding whose remote id has not been recorded, oldest first. */
export async function pendingAttachmentLinks(db: Db, bindingId: string, storyId: string, name: string): Promise<AttachmentLink[]> {
  const rows = await db
    .select({ link: attachmentLinks })
    .from(attachmentLinks)
    .innerJoin(attachments, eq(attachments.id, attachmentLinks.attachmentId))
    .where(and(eq(attachmentLinks.bindingId, bindingId), isNull(attachmentLinks.remoteAttachmentId), eq(attachments.storyId, storyId), eq(attachmentLinks.name, name)))
    .orderBy(asc(attachmentLinks.createdAt));
  return rows.map((r) => r.link);
}

/** A story's files a binding has not got yet (never those it brought in), with a pending upload's link if any. */
export async function attachmentsForPush(db: Db, bindingId: string, storyId: string) {
  return db
    .select({ attachment: meta, link: attachmentLinks })
    .from(attachments)
    .leftJoin(attachmentLinks, and(eq(attachmentLinks.attachmentId, attachments.id), eq(attachmentLinks.bindingId, bindingId)))
    .where(and(eq(attachments.storyId, storyId), isNull(attachments.deletedAt), ne(attachments.origin, bindingId), isNull(attachmentLinks.remoteAttachmentId)))
    .orderBy(asc(attachments.createdAt));
}

/** Announces an upload before it happens (the `begin` of its write-ahead, sync/pending.ts); an existing pending link means an earlier attempt may have uploaded it. */
export async function beginAttachmentPost(db: Db, bindingId: string, attachmentId: string, name: string): Promise<{ link: AttachmentLink; fresh: boolean }> {
  const [inserted] = await db.insert(attachmentLinks).values({ bindingId, attachmentId, name }).onConflictDoNothing().returning();
  if (inserted) return { link: inserted, fresh: true };
  const [existing] = await db.select().from(attachmentLinks).where(and(eq(attachmentLinks.bindingId, bindingId), eq(attachmentLinks.attachmentId, attachmentId)));
  return { link: existing!, fresh: false };
}

export async function recordAttachmentSynced(db: Db, linkId: string, remoteAttachmentId: string): Promise<void> {
  await db.update(attachmentLinks).set({ remoteAttachmentId }).where(eq(attachmentLinks.id, linkId));
}
