import { capability } from '../connectors/define';
import type { RemoteItem } from '../connectors/types';
import { linkedRemoteAttachmentIds } from '../db/attachments';
import { recordWarnings } from '../db/bindings';
import { markCommentsSynced } from '../db/pulled';
import { pullsComments, pullsFiles } from '../rules';
import type { BindingPorts } from './ports';
import type { TouchedItem } from './pull';
import { applyRemoteComments } from './pull-comments';
import { applyRemoteAttachment } from './pull-files';

const COMMENT_CONCURRENCY = 4;

/** What a pull fetches for an item besides the listing, decided once per opened binding. */
export interface FetchPlan {
  /** Its comments, when the message rule pulls them and the listing does not say there are none. */
  comments(item: { commentCount?: number | undefined }): boolean;
  /** Its files, when the files rule pulls them and the remote can list and download them. */
  files: boolean;
  /** Nothing at all: the item is done when its page commits. */
  settled(item: RemoteItem): boolean;
}

export function fetchPlan(ports: BindingPorts): FetchPlan {
  const files = pullsFiles(ports.rules) && ports.client.attachments !== undefined;
  const comments = (item: { commentCount?: number | undefined }) => pullsComments(ports.rules) && item.commentCount !== 0;
  return { comments, files, settled: (item) => !files && !comments(item) };
}

/**
 * What hangs off the items that moved (none of them settled: see FetchPlan): their comments and
 * their files. Each item's comment mark is set once what was fetched for it is applied. Returns how
 * many hub comments and files were written.
 */
export async function pullRelated(ports: BindingPorts, touched: TouchedItem[], plan: FetchPlan): Promise<number> {
  const { db, binding, client, rules } = ports;
  const queue = [...touched];
  let written = 0;
  const worker = async () => {
    for (let t = queue.shift(); t; t = queue.shift()) {
      if (plan.comments(t)) {
        const remote = await ports.call(() => client.listComments(binding.scope, t.remoteId, t.since ?? undefined));
        written += await applyRemoteComments(db, binding, t.storyId, remote, { edits: rules.messages.edits });
      }
      if (plan.files) written += await pullAttachments(ports, t);
      await markCommentsSynced(db, binding.id, t.remoteId, t.updatedAt);
    }
  };
  await Promise.all(Array.from({ length: COMMENT_CONCURRENCY }, worker));
  return written;
}

/** Remote files the hub has not got are downloaded into it; files over the rule's limit are reported, not fetched. */
async function pullAttachments(ports: BindingPorts, t: TouchedItem): Promise<number> {
  const { db, binding } = ports;
  const store = capability(ports.client, 'attachments', ports.connector);
  const maxBytes = ports.rules.files!.maxBytes;
  const listed = (await ports.call(() => store.listAttachments(binding.scope, t.remoteId))).filter((a) => a.downloadable);
  const known = await linkedRemoteAttachmentIds(db, binding.id, listed.map((a) => a.remoteId));
  let written = 0;
  for (const attachment of listed.filter((a) => !known.has(a.remoteId))) {
    if (attachment.size > maxBytes) {
      await recordWarnings(db, binding.id, [`file ${attachment.name} (${attachment.size} bytes) on ${t.remoteId} is over the files rule's limit of ${maxBytes} bytes`]);
      continue;
    }
    const data = await ports.call(() => store.downloadAttachment(binding.scope, attachment));
    if (await applyRemoteAttachment(db, binding, t.storyId, attachment, data)) written++;
  }
  return written;
}
