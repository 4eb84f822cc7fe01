import { capability } from '../connectors/define';
import { PermanentError } from '../connectors/errors';
import type { RemoteItem, Writer } from '../connectors/types';
import { withTx, type Db } from '../db/client';
import { fieldEntries, recordExplain, type ExplainContext } from '../db/explain';
import { logPush } from '../db/deadletters';
import { diffFields, storyFields, type Snapshot } from '../db/fields';
import { ensurePendingLink, getLink, recordRemote, setSnapshot, type ExternalLink } from '../db/links';
import { updateStoryFromRemote } from '../db/pulled';
import { hubView, projectKey } from '../db/rules';
import { recordWarnings } from '../db/bindings';
import { getStory, type Story } from '../db/stories';
import { createdSnapshot, decideCreate, decidePush, sameJson, type EffectiveRules, type HubView, type PushDecision } from '../rules';
import type { PushInput } from '../rules/decide';
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

/** One story's push on one binding: what every step shares. */
interface StoryPush {
  ports: PushPorts;
  writer: Writer;
  story: Story;
  rules: EffectiveRules;
  hub: HubView;
  /** A push-log line for this story version. */
  log(tx: Db, operation: string, fields: string[]): Promise<unknown>;
  /** Where an explain entry of this push is about. */
  where(direction: ExplainContext['direction'], link: Pick<ExternalLink, 'remoteId' | 'remoteKey'>): ExplainContext;
}

/**
 * Brings one story's remote item on one binding up to the story's latest hub state: only the fields
 * that differ from the last-synced snapshot are written, then the snapshot is updated; then its
 * comments and files. The caller serializes pushes per (binding, story), so an older state never
 * lands after a newer one (O1).
 */
export async function writeStory(ports: PushPorts, storyId: string): Promise<PushOutcome> {
  const read = await readStory(ports, storyId);
  if (!read) return { outcome: 'skipped', reason: 'story gone' };
  const push = await storyPush(ports, read.story);
  let { link } = read;
  if (!link?.remoteId) {
    if (push.story.deletedAt) return { outcome: 'unchanged', fields: [], comments: 0 };
    const created = await createOrAdopt(push);
    if ('outcome' in created) return created;
    // The adopted item holds the story as it was at the crashed create; later hub edits still have to go out.
    link = created;
  }
  if (push.story.deletedAt) return deleteOrClose(push, link);
  const written = await updateFields(push, link);
  const pushed = await pushComments(ports, push.rules, push.story.id, link.remoteId!);
  const files = await pushAttachments(ports, push.rules, push.story.id, link.remoteId!);
  return { outcome: written.length || pushed || files ? 'updated' : 'unchanged', fields: written, comments: pushed };
}

/**
 * The story and its link as of one moment: a pull committing in between would pair the pull's new
 * snapshot with the story before it, and make a stale hub value look like a hub edit.
 */
function readStory({ db, binding }: PushPorts, storyId: string) {
  return withTx(db, async (tx) => {
    const row = await getStory(tx, storyId);
    return row ? { story: row, link: await getLink(tx, binding.id, row.id) } : undefined;
  }, { isolationLevel: 'repeatable read', accessMode: 'read only' });
}

async function storyPush(ports: PushPorts, story: Story): Promise<StoryPush> {
  const { db, binding } = ports;
  return {
    ports,
    writer: capability(ports.client, 'writer'),
    story,
    rules: ports.rules,
    hub: hubView(story, await projectKey(db, story.projectId)),
    log: (tx, operation, fields) => logPush(tx, { bindingId: binding.id, storyId: story.id, storyVersion: story.version, operation, fields, outcome: 'ok' }),
    where: (direction, l) => ({ storyId: story.id, bindingId: binding.id, direction, remoteId: l.remoteId, remoteKey: l.remoteKey, storyVersion: story.version }),
  };
}

/**
 * Creates the story's remote item, or adopts the one an earlier attempt created and died before
 * linking (found by its marker, I1). A new item gets the story's comments and files, and the push is
 * done; an adopted one comes back as its link, for the fields edited since to go out.
 */
async function createOrAdopt(push: StoryPush): Promise<PushOutcome | ExternalLink> {
  const { ports: { db, binding, call }, writer, story, rules, hub } = push;
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
      push.ports.hooks?.afterRemoteCreate?.();
      await recordWarnings(db, binding.id, item.warnings ?? []);
      return item;
    },
    settle: async (pending, item, found) => {
      const { fields, reasons } = await decided();
      await withTx(db, async (tx) => {
        const { createAttemptedAt: _attempt, ...ahead } = (pending.snapshot ?? {}) as Snapshot;
        await recordRemote(tx, pending.id, item, { snapshot: found && pending.snapshot ? ahead : createdSnapshot(rules, fields, item) });
        await recordExplain(tx, fieldEntries(push.where('create', { remoteId: item.remoteId, remoteKey: item.key }), reasons));
      });
    },
  }))!;
  const fields = Object.keys((await decided()).fields);
  await push.log(db, done.found ? 'adopt' : 'create', fields);
  if (done.found) return (await getLink(db, binding.id, story.id))!;
  const pushed = await pushComments(push.ports, rules, story.id, done.result.remoteId);
  await pushAttachments(push.ports, rules, story.id, done.result.remoteId);
  return { outcome: 'created', fields, comments: pushed };
}

/** A story deleted in the hub: its item is deleted (the delete policy), or closed where the policy or the remote says so. */
async function deleteOrClose(push: StoryPush, link: ExternalLink): Promise<PushOutcome> {
  const { ports: { db, binding, call, connector }, writer } = push;
  const remoteId = link.remoteId!;
  const gone = { ...push.where('push', link), kind: 'field', target: 'remote' } as const;
  const deleteItem = binding.deletePolicy === 'delete' ? writer.deleteItem : undefined;
  if (deleteItem) {
    await call(() => deleteItem.call(writer, binding.scope, remoteId));
    await recordExplain(db, [{ ...gone, outcome: 'story deleted in the hub: remote item deleted' }]);
  } else if (!(link.snapshot as Snapshot | null)?.fields.closed) {
    // The close policy, or a remote that cannot delete items (its connector left deleteItem out).
    const item = await call(() => writer.updateItem(binding.scope, remoteId, { closed: true, status: 'closed' }));
    const outcome = binding.deletePolicy === 'delete' ? `story deleted in the hub: remote item closed (${connector} cannot delete items)` : 'story deleted in the hub: remote item closed';
    await withTx(db, async (tx) => {
      await recordRemote(tx, link.id, item);
      await recordExplain(tx, [{ ...gone, field: 'status', remoteField: 'status', written: { status: 'closed', closed: true }, outcome }]);
    });
  }
  await push.log(db, deleteItem ? 'delete' : 'close', []);
  return { outcome: 'deleted', fields: [], comments: 0 };
}

/**
 * Read, decide, write: the fields that differ from the last-synced snapshot go to the remote, an edit
 * that landed during the write is decided by policy, the remote's winning values go into the hub, and
 * the snapshot is recorded. Returns the fields written.
 */
async function updateFields(push: StoryPush, link: ExternalLink): Promise<string[]> {
  const { db } = push.ports;
  const wrote = await writeDecided(push, link);
  const { decision, item } = await settleWriteRace(push, link, wrote);
  const hubApplied = await takeRemoteWins(push, link, decision);
  const snapshot = decision.nextSnapshot(item, hubApplied);
  if (wrote.written.length || !sameJson(snapshot, link.snapshot)) {
    // Someone else wrote the item since our last sync: keep the old timestamp so the next pull lists their comments.
    const untouched = wrote.current.updatedAt === link.remoteUpdatedAt;
    await recordRemote(db, link.id, item, { snapshot, remoteUpdatedAt: untouched ? item.updatedAt : link.remoteUpdatedAt });
  }
  return wrote.written;
}

interface Wrote {
  current: RemoteItem;
  input: Omit<PushInput, 'remote'>;
  decision: PushDecision;
  item: RemoteItem;
  written: string[];
}

/** Reads the remote right before writing, so a field changed on both sides is decided by policy (C1), not by who writes last. */
async function writeDecided(push: StoryPush, link: ExternalLink): Promise<Wrote> {
  const { ports: { db, binding, client, call, hooks }, writer, story, rules, hub } = push;
  const remoteId = link.remoteId!;
  const current = await call(() => client.getItem(binding.scope, remoteId));
  if (!current) throw new PermanentError(`remote item ${link.remoteKey ?? remoteId} is gone`);
  const input = { hub, snapshot: settlePending(link.snapshot as Snapshot | null, current.fields), hubUpdatedAt: story.updatedAt.toISOString() };
  const decision = decidePush(rules, { ...input, remote: current });
  await recordWarnings(db, binding.id, decision.warnings);
  const written = Object.keys(decision.patch);
  if (!written.length) return { current, input, decision, item: current, written };
  // Write-ahead: should this process die after the remote write, our values are not mistaken for a remote edit.
  await setSnapshot(db, link.id, decision.writeAhead);
  await hooks?.beforeRemoteWrite?.({ bindingId: binding.id, storyId: story.id, remoteId });
  // With the version read, a remote that can refuses a write over a newer edit (a conflict: the push reads and decides again).
  const item = await call(() => writer.updateItem(binding.scope, remoteId, decision.patch, current.version));
  await recordWarnings(db, binding.id, item.warnings ?? []);
  await withTx(db, async (tx) => {
    await push.log(tx, 'update', written);
    await recordExplain(tx, fieldEntries(push.where('push', link), decision.reasons.filter((r) => r.target === 'remote')));
  });
  return { current, input, decision, item, written };
}

/**
 * The write is not atomic with the read: an edit another actor made in between, as the remote's
 * history tells it, is decided by policy now (C1), and put back on the remote where it wins.
 */
async function settleWriteRace(push: StoryPush, link: ExternalLink, wrote: Wrote): Promise<{ decision: PushDecision; item: RemoteItem }> {
  const { ports: { db, binding, call }, writer, rules } = push;
  const { current, decision, item } = wrote;
  if (!wrote.written.length) return { decision, item };
  const remoteId = link.remoteId!;
  const theirs = await call(() => writer.editsSince(binding.scope, remoteId, current, decision.patch));
  const race = settleRace({ rules, ...wrote.input, current, decision, theirs });
  if (!race) return { decision, item };
  if (!Object.keys(race.restore).length) return { decision: race.decision, item };
  const restoredItem = await call(() => writer.updateItem(binding.scope, remoteId, race.restore, item.version));
  const restored = restoredReasons(rules, race.decision, race.restore, { ...current.fields, ...race.restore });
  await withTx(db, async (tx) => {
    await push.log(tx, 'restore', Object.keys(race.restore));
    await recordExplain(tx, fieldEntries(push.where('push', link), restored));
  });
  return { decision: race.decision, item: restoredItem };
}

/** The remote's winning values go into the hub now (origin: this binding, so they fan out but never come back). */
async function takeRemoteWins(push: StoryPush, link: ExternalLink, decision: PushDecision): Promise<boolean> {
  const { ports: { db, binding }, story } = push;
  const before = storyFields(story);
  const after = { ...before, ...decision.hubSet };
  const hubChanges = diffFields(before, after);
  if (!hubChanges.length) return true;
  return withTx(db, async (tx) => {
    const version = await updateStoryFromRemote(tx, binding, story.id, hubChanges, story.version);
    if (version === null) return false;
    await recordExplain(tx, fieldEntries({ ...push.where('push', link), storyVersion: version }, hubWrites(decision.reasons, before, after)));
    return true;
  });
}
