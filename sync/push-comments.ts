import type { RemoteComment } from '../connectors/types';
import { beginCommentPost, commentsForPush, linkedRemoteCommentIds, recordCommentSynced, type CommentLink } from '../db/comments';
import { outgoingBody, type EffectiveRules } from '../rules';
import { withTx } from '../db/client';
import { crossingEntry, recordExplain, recordExplainOnce } from '../db/explain';
import { writeAhead } from './pending';
import type { PushPorts } from './ports';
import { applyRemoteCommentEdit, sameBody } from './pull-comments';

/**
 * Brings the story's comments on one binding up to date, as far as the message rule lets them out:
 * hub comments it has not seen are posted, and comments whose hub body was edited since the last
 * sync are edited remotely, where the remote's comments are not add-only. Every post is announced first (a pending comment link), so a retry after
 * a crash finds the posted comment instead of posting it twice. An edit made on the remote since the
 * last sync wins over a hub edit (as two_way's remote_wins does), and is brought into the hub instead.
 */
export async function pushComments(ports: PushPorts, rules: EffectiveRules, storyId: string, remoteId: string): Promise<number> {
  const { db, binding, client, call } = ports;
  const writer = client.comments;
  if (!writer) return 0;
  let remoteComments: RemoteComment[] | undefined;
  const current = async () => (remoteComments ??= await call(() => client.listComments(binding.scope, remoteId)));
  let sent = 0;
  const where = { storyId, bindingId: binding.id, direction: 'push' as const, remoteId };
  const crossed = (linkId: string, posted: RemoteComment, outcome: string) => withTx(db, async (tx) => {
    await recordCommentSynced(tx, linkId, posted.remoteId, posted.body);
    await recordExplain(tx, [crossingEntry(where, 'comment', 'remote', posted.body, outcome)]);
  });
  for (const { comment, link } of await commentsForPush(db, binding.id, storyId)) {
    const body = outgoingBody(rules, comment.body);
    if (body === null) continue;
    if (!link?.remoteCommentId) {
      await writeAhead<CommentLink, RemoteComment>({
        begin: () => beginCommentPost(db, binding.id, comment.id, body),
        // An earlier attempt may have posted it and died before recording the id.
        find: async (pending) => {
          const all = await current();
          const taken = await linkedRemoteCommentIds(db, binding.id, all.map((c) => c.remoteId));
          return all.find((c) => !taken.has(c.remoteId) && sameBody(c.body, pending.syncedBody));
        },
        write: async (_pending, fresh) => {
          const posted = await call(() => writer.addComment(binding.scope, remoteId, body));
          if (fresh) ports.hooks?.afterRemoteComment?.();
          return posted;
        },
        settle: (pending, posted) => crossed(pending.id, posted, 'hub comment posted'),
      });
      sent++;
      continue;
    }
    if (sameBody(body, link.syncedBody)) continue;
    const update = writer.updateComment;
    if (!update) {
      // An add-only remote: the edit stays in the hub, explained once per body and never failed; the
      // link keeps the body the remote has, so a pull still tells a remote edit from this one.
      await recordExplainOnce(db, { ...where, kind: 'comment', target: 'none', hub: body, outcome: `hub comment edit not sent: ${ports.connector}'s comments are add-only` });
      continue;
    }
    const theirs = (await current()).find((c) => c.remoteId === link.remoteCommentId);
    if (!theirs) continue; // deleted on the remote: the hub keeps its copy
    if (!sameBody(theirs.body, link.syncedBody)) {
      await applyRemoteCommentEdit(db, binding, storyId, theirs);
      continue;
    }
    const edited = await call(() => update.call(writer, binding.scope, remoteId, link.remoteCommentId!, body));
    await crossed(link.id, edited, 'hub comment edit sent');
    sent++;
  }
  return sent;
}
