import type { RemoteComment } from '../connectors/types';
import { withTx, type Db } from '../db/client';
import { commentLinksByRemoteIds, insertCommentFromRemote, pendingCommentLinks, recordCommentSynced, updateCommentFromRemote } from '../db/comments';
import { getStory } from '../db/stories';
import { crossingEntry, recordExplain } from '../db/explain';

/** Remotes may normalise line endings and trailing space; a body is the same comment if only that differs. */
export const sameBody = (a: string, b: string): boolean => a.replace(/\r\n?/g, '\n').trim() === b.replace(/\r\n?/g, '\n').trim();

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
    const links = await commentLinksByRemoteIds(tx, binding.id, remote.map((c) => c.remoteId));
    const known = new Map(links.map((l) => [l.remoteCommentId, l]));
    const pending = await pendingCommentLinks(tx, binding.id, storyId);
    const version = (await getStory(tx, storyId))?.version ?? 0;
    const where = { storyId, bindingId: binding.id, direction: 'pull' as const, storyVersion: version };
    let written = 0;
    for (const c of remote) {
      const link = known.get(c.remoteId);
      if (!link) {
        const posted = pending.findIndex((p) => sameBody(p.syncedBody, c.body));
        if (posted >= 0) {
          const [adopted] = pending.splice(posted, 1);
          await recordCommentSynced(tx, adopted!.id, c.remoteId, c.body);
          continue;
        }
      }
      if (link && (link.syncedBody === c.body || opts.edits === false)) continue;
      if (link) await updateCommentFromRemote(tx, binding, storyId, link, c, version);
      else await insertCommentFromRemote(tx, binding, storyId, c, version);
      await recordExplain(tx, [crossingEntry(where, 'comment', 'hub', c.body, link ? 'remote comment edit taken' : 'remote comment added')]);
      written++;
    }
    return written;
  });
}

/**
 * An edit made on the remote to a comment the binding already has, brought into the hub (a push that
 * finds one takes it, as remote_wins does, rather than writing over it). Checked again in its own
 * transaction, so an edit a pull took meanwhile is not written twice.
 */
export async function applyRemoteCommentEdit(db: Db, binding: { id: string; projectId: string }, storyId: string, remote: RemoteComment): Promise<boolean> {
  return withTx(db, async (tx) => {
    const [link] = await commentLinksByRemoteIds(tx, binding.id, [remote.remoteId]);
    if (!link || link.syncedBody === remote.body) return false;
    const version = (await getStory(tx, storyId))?.version ?? 0;
    await updateCommentFromRemote(tx, binding, storyId, link, remote, version);
    await recordExplain(tx, [crossingEntry({ storyId, bindingId: binding.id, direction: 'push', storyVersion: version }, 'comment', 'hub', remote.body,
      'remote comment edit taken: it wins over the hub edit')]);
    return true;
  });
}
