import type { RemoteAttachment } from '../connectors/types';
import { withTx, type Db } from '../db/client';
import { attachmentLinkByRemoteId, insertAttachmentFromRemote, pendingAttachmentLinks, recordAttachmentSynced } from '../db/attachments';
import { getStory } from '../db/stories';
import { crossingEntry, recordExplain } from '../db/explain';

/**
 * Brings a remote file into the hub (origin: the binding, so it fans out to the other bindings but
 * never back). A file this binding was uploading when it died (a pending link with the same name) is
 * that upload, adopted rather than imported. Returns whether a hub file was written.
 */
export async function applyRemoteAttachment(
  db: Db, binding: { id: string; projectId: string }, storyId: string, remote: RemoteAttachment, data: Uint8Array,
): Promise<boolean> {
  return withTx(db, async (tx) => {
    if (await attachmentLinkByRemoteId(tx, binding.id, remote.remoteId)) return false;
    const [pending] = await pendingAttachmentLinks(tx, binding.id, storyId, remote.name);
    if (pending) {
      await recordAttachmentSynced(tx, pending.id, remote.remoteId);
      return false;
    }
    const version = (await getStory(tx, storyId))?.version ?? 0;
    await insertAttachmentFromRemote(tx, binding, storyId, remote, data, version);
    await recordExplain(tx, [crossingEntry({ storyId, bindingId: binding.id, direction: 'pull', storyVersion: version }, 'file', 'hub', remote.name, 'remote file added')]);
    return true;
  });
}
