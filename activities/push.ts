import { eq } from 'drizzle-orm';
import { PermanentError, isPermanentError } from '../connectors/errors';
import { insertDeadLetter, logPush } from '../db/deadletters';
import { withTx } from '../db/client';
import { diffFields, storyFields, type Snapshot } from '../db/fields';
import { updateStoryFromRemote } from '../db/pulled';
import { ensurePendingLink, getLink, recordRemote, setSnapshot } from '../db/links';
import { hubView, projectKey, recordWarnings } from '../db/rules';
import { createdSnapshot, decideCreate, decidePush, effectiveRules, outgoingBody, sameJson, sendsFile, type EffectiveRules } from '../rules';
import { stories } from '../db/schema';
import { beginCommentPost, commentsForPush, linkedRemoteCommentIds, recordCommentSynced } from '../db/comments';
import { applyRemoteComments, sameBody } from '../sync/pull-comments';
import type { RemoteAttachment, RemoteComment } from '../connectors/types';
import { attachmentsForPush, beginAttachmentPost, getAttachment, linkedRemoteAttachmentIds, recordAttachmentSynced } from '../db/attachments';
import { signedFileUrl } from '../lib/file-links';
import type { ActivityDeps } from './deps';
import { withHeartbeat } from './heartbeat';
import { settleRace } from './push-race';
import { settlePending } from './push-pending';
import { openBinding, remoteCall, type BoundClient } from './bindings';
import { routeEvent } from '../workflows/route';

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
      const route = routeEvent(binding, input.mode);
      if (route.to === 'skip') return { outcome: 'skipped', reason: route.reason };
      if (route.to === 'backlog') return { outcome: 'deferred', reason: route.reason };
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
  // The story and its snapshot are read as of one moment: a pull committing in between would pair the
  // pull's new snapshot with the story before it, and make a stale hub value look like a hub edit.
  const read = await withTx(deps.db, async (tx) => {
    const [row] = await tx.select().from(stories).where(eq(stories.id, input.storyId));
    return row ? { story: row, link: await getLink(tx, binding.id, row.id) } : undefined;
  }, { isolationLevel: 'repeatable read', accessMode: 'read only' });
  if (!read) return { outcome: 'skipped', reason: 'story gone' };
  const { story } = read;
  let { link } = read;
  const call = <T>(fn: () => Promise<T>) => remoteCall(deps, binding.id, fn, { throwPermanent: true });
  const rules = effectiveRules(binding.rules, bound.connector);
  const hub = hubView(story, await projectKey(deps.db, story.projectId));
  const log = (operation: string, fields: string[]) =>
    logPush(deps.db, { bindingId: binding.id, storyId: story.id, storyVersion: story.version, operation, fields, outcome: 'ok' });

  if (!link?.remoteId) {
    if (story.deletedAt) return { outcome: 'unchanged', fields: [], comments: 0 };
    const pending = await ensurePendingLink(deps.db, binding.id, story.id, markerFor(binding.id, story.id));
    link = pending.link;
    const marker = link.marker;
    // A pending link we did not just write means an earlier attempt may have created the item and died (I1).
    const existing = pending.fresh ? null : await call(() => client.findByMarker!(binding.scope, marker));
    const created = decideCreate(rules, hub);
    await recordWarnings(deps.db, binding.id, created.warnings);
    // Write-ahead: what the create sends is the snapshot an adoption starts from, so remote edits made
    // to the item before it was linked still count as remote changes.
    if (!existing && !link.snapshot) await setSnapshot(deps.db, link.id, { fields: created.fields });
    const item = existing ?? (await call(() => client.createItem!(binding.scope, { fields: created.fields, marker })));
    if (!existing) deps.hooks?.afterRemoteCreate?.();
    await recordRemote(deps.db, link.id, item, { snapshot: existing && link.snapshot ? (link.snapshot as Snapshot) : createdSnapshot(rules, created.fields, item) });
    await log(existing ? 'adopt' : 'create', Object.keys(created.fields));
    if (!existing) {
      const pushed = await pushComments(deps, bound, rules, story.id, item.remoteId);
      await pushAttachments(deps, bound, rules, story.id, item.remoteId);
      return { outcome: 'created', fields: Object.keys(created.fields), comments: pushed };
    }
    // The adopted item holds the story as it was at the crashed create; later hub edits still have to go out.
    link = (await getLink(deps.db, binding.id, story.id))!;
  }
  const remoteId = link.remoteId!;

  if (story.deletedAt) {
    if (binding.deletePolicy === 'delete') await call(() => client.deleteItem!(binding.scope, remoteId));
    else if (!(link.snapshot as Snapshot | null)?.fields.closed) {
      const item = await call(() => client.updateItem!(binding.scope, remoteId, { closed: true, status: 'closed' }));
      await recordRemote(deps.db, link.id, item);
    }
    await log(binding.deletePolicy === 'delete' ? 'delete' : 'close', []);
    return { outcome: 'deleted', fields: [], comments: 0 };
  }

  // Read the remote right before writing: a field changed on both sides is decided by policy (C1), not by who writes last.
  const current = await call(() => client.getItem(binding.scope, remoteId));
  if (!current) throw new PermanentError(`remote item ${link.remoteKey ?? remoteId} is gone`);
  const pushInput = { hub, snapshot: settlePending(link.snapshot as Snapshot | null, current.fields), hubUpdatedAt: story.updatedAt.toISOString() };
  let decision = decidePush(rules, { ...pushInput, remote: current });
  await recordWarnings(deps.db, binding.id, decision.warnings);
  const written = Object.keys(decision.patch);
  // Write-ahead: should this process die after the remote write, our values are not mistaken for a remote edit.
  if (written.length) await setSnapshot(deps.db, link.id, decision.writeAhead);
  if (written.length) await deps.hooks?.beforeRemoteWrite?.({ bindingId: binding.id, storyId: story.id, remoteId });
  let item = written.length ? await call(() => client.updateItem!(binding.scope, remoteId, decision.patch)) : current;
  if (written.length) await log('update', written);
  // The write is not atomic with the read: an edit another actor made in between is decided by policy now (C1).
  if (written.length && client.editsSince) {
    const theirs = await call(() => client.editsSince!(binding.scope, remoteId, current, decision.patch));
    const race = settleRace({ rules, ...pushInput, current, decision, theirs });
    if (race) {
      decision = race.decision;
      if (Object.keys(race.restore).length) {
        item = await call(() => client.updateItem!(binding.scope, remoteId, race.restore));
        await log('restore', Object.keys(race.restore));
      }
    }
  }
  const hubChanges = diffFields(storyFields(story), { ...storyFields(story), ...decision.hubSet });
  // The remote's winning values go into the hub now (origin: this binding, so they fan out but never come back).
  const hubApplied = !hubChanges.length || (await withTx(deps.db, (tx) => updateStoryFromRemote(tx, binding, story.id, hubChanges, story.version)));
  const snapshot = decision.nextSnapshot(item, hubApplied);
  if (written.length || !sameJson(snapshot, link.snapshot)) {
    // Someone else wrote the item since our last sync: keep the old timestamp so the next pull lists their comments.
    const untouched = current.updatedAt === link.remoteUpdatedAt;
    await recordRemote(deps.db, link.id, item, { snapshot, remoteUpdatedAt: untouched ? item.updatedAt : link.remoteUpdatedAt });
  }
  const pushed = await pushComments(deps, bound, rules, story.id, remoteId);
  const files = await pushAttachments(deps, bound, rules, story.id, remoteId);
  return { outcome: written.length || pushed || files ? 'updated' : 'unchanged', fields: written, comments: pushed };
}

/**
 * Brings the story's comments on one binding up to date, as far as the message rule lets them out:
 * hub comments it has not seen are posted, and comments whose hub body was edited since the last
 * sync are edited remotely. Every post is announced first (a pending comment link), so a retry after
 * a crash finds the posted comment instead of posting it twice. An edit made on the remote since the
 * last sync wins over a hub edit (as two_way's remote_wins does), and is brought into the hub instead.
 */
async function pushComments(deps: ActivityDeps, bound: BoundClient, rules: EffectiveRules, storyId: string, remoteId: string): Promise<number> {
  const { binding, client } = bound;
  if (!client.addComment) return 0;
  const call = <T>(fn: () => Promise<T>) => remoteCall(deps, binding.id, fn, { throwPermanent: true });
  let remoteComments: RemoteComment[] | undefined;
  const current = async () => (remoteComments ??= await call(() => client.listComments(binding.scope, remoteId)));
  let sent = 0;
  for (const { comment, link } of await commentsForPush(deps.db, binding.id, storyId)) {
    const body = outgoingBody(rules, comment.body);
    if (body === null) continue;
    if (!link?.remoteCommentId) {
      const { link: pending, fresh } = await beginCommentPost(deps.db, binding.id, comment.id, body);
      let posted: RemoteComment | undefined;
      if (!fresh) {
        // An earlier attempt may have posted it and died before recording the id.
        const all = await current();
        const taken = await linkedRemoteCommentIds(deps.db, binding.id, all.map((c) => c.remoteId));
        posted = all.find((c) => !taken.has(c.remoteId) && sameBody(c.body, pending.syncedBody));
      }
      posted ??= await call(() => client.addComment!(binding.scope, remoteId, body));
      if (fresh) deps.hooks?.afterRemoteComment?.();
      await recordCommentSynced(deps.db, pending.id, posted.remoteId, posted.body);
      sent++;
      continue;
    }
    if (sameBody(body, link.syncedBody) || !client.updateComment) continue;
    const theirs = (await current()).find((c) => c.remoteId === link.remoteCommentId);
    if (!theirs) continue; // deleted on the remote: the hub keeps its copy
    if (!sameBody(theirs.body, link.syncedBody)) {
      await applyRemoteComments(deps.db, binding, storyId, [theirs]);
      continue;
    }
    const edited = await call(() => client.updateComment!(binding.scope, remoteId, link.remoteCommentId!, body));
    await recordCommentSynced(deps.db, link.id, edited.remoteId, edited.body);
    sent++;
  }
  return sent;
}

/**
 * Sends the story's files the files rule lets out and this binding has not got. Like comments, each
 * upload is announced first (a pending link) and a retry adopts a file of the same name it finds there.
 * Files above the rule's size limit stay in the hub and are reported in the binding's warnings.
 */
async function pushAttachments(deps: ActivityDeps, bound: BoundClient, rules: EffectiveRules, storyId: string, remoteId: string): Promise<number> {
  const { binding, client } = bound;
  if (!rules.files || !client.addAttachment) return 0;
  const call = <T>(fn: () => Promise<T>) => remoteCall(deps, binding.id, fn, { throwPermanent: true });
  let sent = 0;
  for (const { attachment, link } of await attachmentsForPush(deps.db, binding.id, storyId)) {
    if (!sendsFile(rules, attachment.name)) continue;
    if (attachment.size > rules.files.maxBytes) {
      await recordWarnings(deps.db, binding.id, [`file ${attachment.name} (${attachment.size} bytes) is over the files rule's limit of ${rules.files.maxBytes} bytes`]);
      continue;
    }
    const { link: pending, fresh } = link ? { link, fresh: false } : await beginAttachmentPost(deps.db, binding.id, attachment.id, attachment.name);
    let added: RemoteAttachment | undefined;
    if (!fresh && client.listAttachments) {
      const there = await call(() => client.listAttachments!(binding.scope, remoteId));
      const taken = await linkedRemoteAttachmentIds(deps.db, binding.id, there.map((a) => a.remoteId));
      added = there.find((a) => !taken.has(a.remoteId) && a.name === attachment.name);
    }
    if (!added) {
      const file = await getAttachment(deps.db, attachment.id);
      if (!file) continue;
      const url = signedFileUrl(deps.publicUrl ?? 'http://localhost:3000', deps.secretBox, attachment.id, { ttlSeconds: deps.fileLinkTtlSeconds, now: deps.now?.() });
      added = await call(() => client.addAttachment!(binding.scope, remoteId, { name: file.name, contentType: file.contentType, data: file.content, url }));
    }
    await recordAttachmentSynced(deps.db, pending.id, added.remoteId);
    sent++;
  }
  return sent;
}
