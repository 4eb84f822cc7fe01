import { and, eq, isNull, ne, notExists } from 'drizzle-orm';
import type { ItemFields } from '../connectors/types';
import { isPermanentError } from '../connectors/errors';
import { insertDeadLetter, logPush } from '../db/deadletters';
import { diffFields, storyFields, type Snapshot } from '../db/fields';
import { ensurePendingLink, getLink, recordRemote, type ExternalLink } from '../db/links';
import { commentLinks, comments, stories } from '../db/schema';
import type { ActivityDeps } from './deps';
import { withHeartbeat } from './heartbeat';
import { openBinding, remoteCall, type BoundClient } from './bindings';

export interface PushInput {
  bindingId: string;
  storyId: string;
  /** The newest outbox event this push covers (for dead letters and the push log). */
  eventId: number;
  /** `direct` defers to the backlog while the binding is backlogged; `drain` is the backlog itself. */
  mode: 'direct' | 'drain';
}

export type PushOutcome =
  | { outcome: 'created' | 'updated' | 'deleted' | 'unchanged'; fields: string[]; comments: number }
  | { outcome: 'deferred'; reason: 'backlogged' | 'paused' }
  | { outcome: 'dead-letter'; error: string }
  | { outcome: 'skipped'; reason: string };

const markerFor = (bindingId: string, storyId: string) => `tb-${bindingId.slice(0, 8)}-${storyId}`;

export function createPushActivities(deps: ActivityDeps) {
  return {
    /**
     * Brings one story's remote item on one binding up to the story's latest hub state: only the
     * fields that differ from the last-synced snapshot are written, then the snapshot is updated.
     * Serialized per (binding, story) across workers, so an older state never lands after a newer one (O1).
     */
    async writeRemote(input: PushInput): Promise<PushOutcome> {
      const bound = await openBinding(deps, input.bindingId);
      const { binding } = bound;
      if (binding.state === 'deleted') return { outcome: 'skipped', reason: 'binding deleted' };
      if (binding.state === 'paused') return { outcome: 'deferred', reason: 'paused' };
      if (input.mode === 'direct' && binding.backlogged) return { outcome: 'deferred', reason: 'backlogged' };
      return withHeartbeat(() => deps.withLock(`push:${binding.id}:${input.storyId}`, async () => {
        try {
          return await writeStory(deps, bound, input);
        } catch (err) {
          if (!isPermanentError(err)) throw err;
          await insertDeadLetter(deps.db, { bindingId: binding.id, storyId: input.storyId, eventId: input.eventId, error: err.message });
          await logPush(deps.db, { bindingId: binding.id, storyId: input.storyId, storyVersion: 0, operation: 'write', outcome: 'dead-letter', error: err.message });
          return { outcome: 'dead-letter', error: err.message };
        }
      }));
    },
  };
}

async function writeStory(deps: ActivityDeps, bound: BoundClient, input: PushInput): Promise<PushOutcome> {
  const { binding, client } = bound;
  const [story] = await deps.db.select().from(stories).where(eq(stories.id, input.storyId));
  if (!story) return { outcome: 'skipped', reason: 'story gone' };
  const call = <T>(fn: () => Promise<T>) => remoteCall(deps, binding.id, fn, { throwPermanent: true });
  let link = await getLink(deps.db, binding.id, story.id);
  const hub = storyFields(story);
  const log = (operation: string, fields: string[]) =>
    logPush(deps.db, { bindingId: binding.id, storyId: story.id, storyVersion: story.version, operation, fields, outcome: 'ok' });

  if (!link?.remoteId) {
    if (story.deletedAt) return { outcome: 'unchanged', fields: [], comments: 0 };
    const pending = await ensurePendingLink(deps.db, binding.id, story.id, markerFor(binding.id, story.id));
    link = pending.link;
    const marker = link.marker;
    // A pending link we did not just write means an earlier attempt may have created the item and died (I1).
    const existing = pending.fresh ? null : await call(() => client.findByMarker!(binding.scope, marker));
    const item = existing ?? (await call(() => client.createItem!(binding.scope, { fields: hub, marker })));
    if (!existing) deps.hooks?.afterRemoteCreate?.();
    await recordRemote(deps.db, link.id, item);
    await log(existing ? 'adopt' : 'create', Object.keys(hub));
    const pushed = await pushComments(deps, bound, story.id, item.remoteId);
    return { outcome: 'created', fields: Object.keys(hub), comments: pushed };
  }

  if (story.deletedAt) {
    const remoteId = link.remoteId;
    if (binding.deletePolicy === 'delete') await call(() => client.deleteItem!(binding.scope, remoteId));
    else if (!(link.snapshot as Snapshot | null)?.fields.closed) {
      const item = await call(() => client.updateItem!(binding.scope, remoteId, { closed: true, status: 'closed' }));
      await recordRemote(deps.db, link.id, item);
    }
    await log(binding.deletePolicy === 'delete' ? 'delete' : 'close', []);
    return { outcome: 'deleted', fields: [], comments: 0 };
  }

  const changed = hubChanges(link, hub);
  let written: string[] = [];
  if (changed.length) {
    const patch = Object.fromEntries(changed.map((f) => [f, hub[f]])) as Partial<ItemFields>;
    const item = await call(() => client.updateItem!(binding.scope, link!.remoteId!, patch));
    await recordRemote(deps.db, link.id, item);
    await log('update', changed);
    written = changed;
  }
  const pushed = await pushComments(deps, bound, story.id, link.remoteId);
  return { outcome: written.length || pushed ? 'updated' : 'unchanged', fields: written, comments: pushed };
}

/** Fields whose hub value differs from what the remote held at the last sync. */
function hubChanges(link: ExternalLink, hub: ItemFields): (keyof ItemFields)[] {
  const snapshot = (link.snapshot as Snapshot | null)?.fields;
  return diffFields(snapshot, hub).map((c) => c.field as keyof ItemFields);
}

/** Hub comments this binding has not seen (never those that came from it) go out; edited ones are updated. */
async function pushComments(deps: ActivityDeps, bound: BoundClient, storyId: string, remoteId: string): Promise<number> {
  const { binding, client } = bound;
  if (!client.addComment) return 0;
  const fresh = await deps.db
    .select()
    .from(comments)
    .where(and(
      eq(comments.storyId, storyId), isNull(comments.deletedAt), ne(comments.origin, binding.id),
      notExists(deps.db.select().from(commentLinks).where(and(eq(commentLinks.commentId, comments.id), eq(commentLinks.bindingId, binding.id)))),
    ))
    .orderBy(comments.createdAt);
  for (const c of fresh) {
    const remote = await remoteCall(deps, binding.id, () => client.addComment!(binding.scope, remoteId, c.body), { throwPermanent: true });
    await deps.db.insert(commentLinks).values({ bindingId: binding.id, commentId: c.id, remoteCommentId: remote.remoteId, syncedBody: remote.body }).onConflictDoNothing();
  }
  return fresh.length;
}
