import { capability } from '../connectors/define';
import { PermanentError } from '../connectors/errors';
import type { RemoteItem } from '../connectors/types';
import { withTx, type Db } from '../db/client';
import { fieldEntries, recordExplain, type ExplainContext } from '../db/explain';
import { logPush } from '../db/deadletters';
import { diffFields, storyFields, type Snapshot } from '../db/fields';
import { ensurePendingLink, getLink, recordRemote, setSnapshot, type ExternalLink } from '../db/links';
import { updateStoryFromRemote } from '../db/pulled';
import { hubView, projectKey } from '../db/rules';
import { recordWarnings } from '../db/bindings';
import { getStory } from '../db/stories';
import { createdSnapshot, decideCreate, decidePush, effectiveRules, sameJson } from '../rules';
import { settlePending, writeAhead } from './pending';
import type { PushPorts } from './ports';
import { pushComments } from './push-comments';
import { pushAttachments } from './push-files';
import { settleRace } from './race';
import { hubWrites, restoredReasons } from './explain';

export type PushOutcome =
  | { outcome: 'created' | 'updated' | 'deleted' | 'unchanged'; fields: string[]; comments: number }
  | { outcome: 'deferred'; reason: 'backlogged' | 'paused' }
  | { outcome: 'dead-letter'; error: string }
  | { outcome: 'skipped'; reason: string };

const markerFor = (bindingId: string, storyId: string) => `tb-${bindingId.slice(0, 8)}-${storyId}`;

/**
 * Brings one story's remote item on one binding up to the story's latest hub state: only the fields
 * that differ from the last-synced snapshot are written, then the snapshot is updated; then its
 * comments and files. The caller serializes pushes per (binding, story), so an older state never
 * lands after a newer one (O1).
 */
export async function writeStory(ports: PushPorts, storyId: string): Promise<PushOutcome> {
  const { db, binding, client, call } = ports;
  const writer = capability(client, 'writer');
  // The story and its snapshot are read as of one moment: a pull committing in between would pair the
  // pull's new snapshot with the story before it, and make a stale hub value look like a hub edit.
  const read = await withTx(db, async (tx) => {
    const row = await getStory(tx, storyId);
    return row ? { story: row, link: await getLink(tx, binding.id, row.id) } : undefined;
  }, { isolationLevel: 'repeatable read', accessMode: 'read only' });
  if (!read) return { outcome: 'skipped', reason: 'story gone' };
  const { story } = read;
  let { link } = read;
  const rules = effectiveRules(binding.rules, ports.connector);
  const hub = hubView(story, await projectKey(db, story.projectId));
  const log = (tx: Db, operation: string, fields: string[]) =>
    logPush(tx, { bindingId: binding.id, storyId: story.id, storyVersion: story.version, operation, fields, outcome: 'ok' });
  const where = (direction: ExplainContext['direction'], l: Pick<ExternalLink, 'remoteId' | 'remoteKey'>): ExplainContext =>
    ({ storyId: story.id, bindingId: binding.id, direction, remoteId: l.remoteId, remoteKey: l.remoteKey, storyVersion: story.version });

  if (!link?.remoteId) {
    if (story.deletedAt) return { outcome: 'unchanged', fields: [], comments: 0 };
    // Decided once, after the search for an earlier create (whose warnings count as this push's).
    let created: ReturnType<typeof decideCreate> | undefined;
    const decided = async () => {
      if (created) return created;
      created = decideCreate(rules, hub);
      await recordWarnings(db, binding.id, created.warnings);
      return created;
    };
    const done = (await writeAhead<ExternalLink, RemoteItem>({
      begin: () => ensurePendingLink(db, binding.id, story.id, markerFor(binding.id, story.id)),
      // A pending link we did not just write means an earlier attempt may have created the item and died (I1).
      find: (pending) => {
        const ahead = pending.snapshot as Snapshot | null;
        const hint = { since: ahead?.createAttemptedAt ?? pending.createdAt.toISOString(), ...(ahead ? { title: ahead.fields.title } : {}) };
        return call(() => writer.findByMarker(binding.scope, pending.marker, hint));
      },
      write: async (pending) => {
        const { fields } = await decided();
        // Write-ahead: what the create sends is the snapshot an adoption starts from, so remote edits made
        // to the item before it was linked still count as remote changes. Every attempt notes when it
        // started: a retry's search for it starts there (the first attempt's fields stay the base).
        const ahead = (pending.snapshot as Snapshot | null) ?? { fields };
        await setSnapshot(db, pending.id, { ...ahead, createAttemptedAt: new Date().toISOString() });
        const item = await call(() => writer.createItem(binding.scope, { fields, marker: pending.marker }));
        ports.hooks?.afterRemoteCreate?.();
        await recordWarnings(db, binding.id, item.warnings ?? []);
        return item;
      },
      settle: async (pending, item, found) => {
        const { fields, reasons } = await decided();
        await withTx(db, async (tx) => {
          const { createAttemptedAt: _attempt, ...ahead } = (pending.snapshot ?? {}) as Snapshot;
          await recordRemote(tx, pending.id, item, { snapshot: found && pending.snapshot ? ahead : createdSnapshot(rules, fields, item) });
          await recordExplain(tx, fieldEntries(where('create', { remoteId: item.remoteId, remoteKey: item.key }), reasons));
        });
      },
    }))!;
    const fields = Object.keys((await decided()).fields);
    await log(db, done.found ? 'adopt' : 'create', fields);
    if (!done.found) {
      const pushed = await pushComments(ports, rules, story.id, done.result.remoteId);
      await pushAttachments(ports, rules, story.id, done.result.remoteId);
      return { outcome: 'created', fields, comments: pushed };
    }
    // The adopted item holds the story as it was at the crashed create; later hub edits still have to go out.
    link = (await getLink(db, binding.id, story.id))!;
  }
  const remoteId = link.remoteId!;

  if (story.deletedAt) {
    const gone = { ...where('push', link), kind: 'field', target: 'remote' } as const;
    const deleteItem = binding.deletePolicy === 'delete' ? writer.deleteItem : undefined;
    if (deleteItem) {
      await call(() => deleteItem.call(writer, binding.scope, remoteId));
      await recordExplain(db, [{ ...gone, outcome: 'story deleted in the hub: remote item deleted' }]);
    } else if (!(link.snapshot as Snapshot | null)?.fields.closed) {
      // The close policy, or a remote that cannot delete items (its connector left deleteItem out).
      const item = await call(() => writer.updateItem(binding.scope, remoteId, { closed: true, status: 'closed' }));
      const closedLink = link;
      const outcome = binding.deletePolicy === 'delete' ? `story deleted in the hub: remote item closed (${ports.connector} cannot delete items)` : 'story deleted in the hub: remote item closed';
      await withTx(db, async (tx) => {
        await recordRemote(tx, closedLink.id, item);
        await recordExplain(tx, [{ ...gone, field: 'status', remoteField: 'status', written: { status: 'closed', closed: true }, outcome }]);
      });
    }
    await log(db, deleteItem ? 'delete' : 'close', []);
    return { outcome: 'deleted', fields: [], comments: 0 };
  }

  // Read the remote right before writing: a field changed on both sides is decided by policy (C1), not by who writes last.
  const current = await call(() => client.getItem(binding.scope, remoteId));
  if (!current) throw new PermanentError(`remote item ${link.remoteKey ?? remoteId} is gone`);
  const pushInput = { hub, snapshot: settlePending(link.snapshot as Snapshot | null, current.fields), hubUpdatedAt: story.updatedAt.toISOString() };
  let decision = decidePush(rules, { ...pushInput, remote: current });
  await recordWarnings(db, binding.id, decision.warnings);
  const written = Object.keys(decision.patch);
  // Write-ahead: should this process die after the remote write, our values are not mistaken for a remote edit.
  if (written.length) await setSnapshot(db, link.id, decision.writeAhead);
  if (written.length) await ports.hooks?.beforeRemoteWrite?.({ bindingId: binding.id, storyId: story.id, remoteId });
  // With the version read, a remote that can refuses a write over a newer edit (a conflict: the push reads and decides again).
  let item = written.length ? await call(() => writer.updateItem(binding.scope, remoteId, decision.patch, current.version)) : current;
  await recordWarnings(db, binding.id, item.warnings ?? []);
  const sent = decision.reasons.filter((r) => r.target === 'remote');
  if (written.length) await withTx(db, async (tx) => {
    await log(tx, 'update', written);
    await recordExplain(tx, fieldEntries(where('push', link), sent));
  });
  // The write is not atomic with the read: an edit another actor made in between is decided by policy now (C1).
  if (written.length) {
    const theirs = await call(() => writer.editsSince(binding.scope, remoteId, current, decision.patch));
    const race = settleRace({ rules, ...pushInput, current, decision, theirs });
    if (race) {
      decision = race.decision;
      if (Object.keys(race.restore).length) {
        const wrote = item;
        item = await call(() => writer.updateItem(binding.scope, remoteId, race.restore, wrote.version));
        const restored = restoredReasons(rules, race.decision, race.restore, { ...current.fields, ...race.restore });
        await withTx(db, async (tx) => {
          await log(tx, 'restore', Object.keys(race.restore));
          await recordExplain(tx, fieldEntries(where('push', link), restored));
        });
      }
    }
  }
  const hubChanges = diffFields(storyFields(story), { ...storyFields(story), ...decision.hubSet });
  // The remote's winning values go into the hub now (origin: this binding, so they fan out but never come back).
  const hubApplied = !hubChanges.length || (await withTx(db, async (tx) => {
    const version = await updateStoryFromRemote(tx, binding, story.id, hubChanges, story.version);
    if (version === null) return false;
    const taken = hubWrites(decision.reasons, storyFields(story), { ...storyFields(story), ...decision.hubSet });
    await recordExplain(tx, fieldEntries({ ...where('push', link), storyVersion: version }, taken));
    return true;
  }));
  const snapshot = decision.nextSnapshot(item, hubApplied);
  if (written.length || !sameJson(snapshot, link.snapshot)) {
    // Someone else wrote the item since our last sync: keep the old timestamp so the next pull lists their comments.
    const untouched = current.updatedAt === link.remoteUpdatedAt;
    await recordRemote(db, link.id, item, { snapshot, remoteUpdatedAt: untouched ? item.updatedAt : link.remoteUpdatedAt });
  }
  const pushed = await pushComments(ports, rules, story.id, remoteId);
  const files = await pushAttachments(ports, rules, story.id, remoteId);
  return { outcome: written.length || pushed || files ? 'updated' : 'unchanged', fields: written, comments: pushed };
}
