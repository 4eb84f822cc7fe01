import type { RemoteAttachment } from '../connectors/types';
import { attachmentsForPush, beginAttachmentPost, getAttachment, linkedRemoteAttachmentIds, recordAttachmentSynced, type AttachmentLink } from '../db/attachments';
import { recordWarnings } from '../db/bindings';
import { sendsFile, type EffectiveRules } from '../rules';
import { withTx } from '../db/client';
import { crossingEntry, recordExplain } from '../db/explain';
import { writeAhead } from './pending';
import type { PushPorts } from './ports';

/**
 * Sends the story's files the files rule lets out and this binding has not got. Like comments, each
 * upload is announced first (a pending link) and a retry adopts a file of the same name it finds there.
 * Files above the rule's size limit stay in the hub and are reported in the binding's warnings.
 */
export async function pushAttachments(ports: PushPorts, rules: EffectiveRules, storyId: string, remoteId: string): Promise<number> {
  const { db, binding, client, call } = ports;
  const store = client.attachments;
  if (!rules.files || !store) return 0;
  let sent = 0;
  for (const { attachment, link } of await attachmentsForPush(db, binding.id, storyId)) {
    if (!sendsFile(rules, attachment.name)) continue;
    if (attachment.size > rules.files.maxBytes) {
      await recordWarnings(db, binding.id, [`file ${attachment.name} (${attachment.size} bytes) is over the files rule's limit of ${rules.files.maxBytes} bytes`]);
      continue;
    }
    const uploaded = await writeAhead<AttachmentLink, RemoteAttachment>({
      begin: async () => (link ? { link, fresh: false } : beginAttachmentPost(db, binding.id, attachment.id, attachment.name)),
      find: async () => {
        const there = await call(() => store.listAttachments(binding.scope, remoteId));
        const taken = await linkedRemoteAttachmentIds(db, binding.id, there.map((a) => a.remoteId));
        return there.find((a) => !taken.has(a.remoteId) && a.name === attachment.name);
      },
      write: async () => {
        const file = await getAttachment(db, attachment.id);
        if (!file) return undefined;
        const url = ports.fileUrl(attachment.id);
        return call(() => store.addAttachment(binding.scope, remoteId, { name: file.name, contentType: file.contentType, data: file.content, url }));
      },
      settle: (pending, added) => withTx(db, async (tx) => {
        await recordAttachmentSynced(tx, pending.id, added.remoteId);
        await recordExplain(tx, [crossingEntry({ storyId, bindingId: binding.id, direction: 'push', remoteId }, 'file', 'remote', attachment.name, 'hub file uploaded')]);
      }),
    });
    if (uploaded) sent++;
  }
  return sent;
}
