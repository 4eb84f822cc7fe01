import { sql } from 'drizzle-orm';
import type { RemoteItem } from '../connectors/types';
import { markerComment } from '../connectors/marker';
import { decidePull, effectiveRules, sameJson, snapshotOf, type EffectiveRules } from '../rules';
import { withTx, type Db } from '../db/client';
import { addRunCounts } from '../db/runs';
import { diffFields, storyFields, type Snapshot } from '../db/fields';
import { upsertInboxItem } from '../db/inbox';
import { adoptPendingLink, linksOfPage, markListed, recordPulled, type ExternalLink } from '../db/links';
import { updateStoryFromRemote } from '../db/pulled';
import { addRuleMessages, hubView, projectKey } from '../db/rules';
import { recordWarnings } from '../db/bindings';
import { getStories, getStory, type Story } from '../db/stories';
import { createStoriesFromRemote, type SyncBinding } from './pull-create';
import { crossingEntry, fieldEntries, recordExplain } from '../db/explain';
import { hubWrites } from './explain';
import { fireHooks } from '../db/hooks';
import { itemsPulled } from '../lib/metrics';
import type { HookPayloads } from '../plugins/types';

export type { SyncBinding };

/** `rules` is the binding's stored rule set (null: the defaults). */

export interface ApplyOptions {
  full: boolean;
  listedAt: Date;
  /** The binding's effective rules; without them, every field syncs two-way. */
  rules?: EffectiveRules;
  /**
   * The run whose counts this page adds to. They are added in the page's own transaction, so an
   * attempt that dies after committing still counts, and a retry cannot make its items vanish.
   */
  runId?: string;
  /** The run the explain log's entries name, when its counts are added elsewhere (`runId` unset). */
  explainRunId?: string;
  /**
   * Items with nothing to fetch besides themselves (no comments, no files): their comment mark is set
   * with the item, and they are not handed back as touched.
   */
  settled?: (item: RemoteItem) => boolean;
  /**
   * Runs in the page's transaction when the whole page applied and no item is left for a later phase
   * (nothing touched, nothing stale): the caller stores its checkpoint there, so the page is done when
   * its one transaction commits. Not used when items are applied one by one.
   */
  commit?: (tx: Db, result: PageResult) => Promise<void>;
  /**
   * The links' write sequence as taken before the page was fetched: a link a push wrote after that may
   * hold something newer than the page, so the item is not applied from the page but handed back in
   * `PageResult.stale`, to be read again.
   */
  fetchedAtSeq?: number;
  /**
   * The page's transaction commits without waiting for the write-ahead log to reach disk: a crash of
   * the database may lose it whole (never part of it), with the checkpoint it carries. The caller makes
   * such pages durable before anything rests on them (see flushCommittedPages); what reads them meanwhile
   * and acts on them commits a write of its own first, which flushes them too.
   */
  asyncCommit?: boolean;
  /** How the connector's items report a create marker, when not as the marker itself (ConnectorDefinition.markerForm). */
  markerForm?: ((marker: string) => string) | undefined;
}

export interface PageCounts { created: number; updated: number; unchanged: number; failed: number; inboxed: number }

/** An item whose comments need pulling: new, or its remote timestamp moved past the comments last pulled. */
export interface TouchedItem { remoteId: string; storyId: string; since: string | null; updatedAt: string; commentCount: number | undefined }

export interface PageResult {
  counts: PageCounts;
  /** Items whose remote timestamp moved: their comments may have changed too. */
  touched: TouchedItem[];
  errors: { remoteId: string; error: string }[];
  /**
   * Items left alone because a push wrote them after the page's fetch was stamped (counted unchanged):
   * the caller reads them again (see `fetchedAtSeq`).
   */
  stale: string[];
  /** Whether the checkpoint was stored with the page. */
  checkpointed?: boolean;
}

/** The caller's `commit` failed: the page is rolled back whole, not applied item by item. */
class CommitFailed extends Error {
  constructor(override readonly cause: unknown) {
    super('the page commit failed');
  }
}

export const zeroCounts = (): PageCounts => ({ created: 0, updated: 0, unchanged: 0, failed: 0, inboxed: 0 });

export const addCounts = (a: PageCounts, b: PageCounts): PageCounts => ({
  created: a.created + b.created,
  updated: a.updated + b.updated,
  unchanged: a.unchanged + b.unchanged,
  failed: a.failed + b.failed,
  inboxed: a.inboxed + b.inboxed,
});

/**
 * Applies one page of remote items to the hub. Idempotent: re-applying a page (an activity retry,
 * the overlap window of an incremental pull) changes nothing. Unchanged items write nothing.
 * One transaction per page; if it fails, items are applied one by one so a bad item only fails itself.
 */
export async function applyRemotePage(db: Db, binding: SyncBinding, items: RemoteItem[], opts: ApplyOptions): Promise<PageResult> {
  const result = await applyPage(db, binding, items, opts);
  for (const [outcome, n] of Object.entries(result.counts)) if (n) itemsPulled.inc({ outcome }, n);
  return result;
}

async function applyPage(db: Db, binding: SyncBinding, items: RemoteItem[], opts: ApplyOptions): Promise<PageResult> {
  const counted = async (tx: Db, page: RemoteItem[], whole: boolean) => {
    const result = await applyItems(tx, binding, page, opts);
    if (opts.runId) await addRunCounts(tx, opts.runId, result.counts);
    if (!whole || result.touched.length || result.stale.length || !opts.commit) return result;
    await opts.commit(tx, result).catch((err: unknown) => {
      throw new CommitFailed(err);
    });
    return { ...result, checkpointed: true };
  };
  try {
    return await withTx(db, async (tx) => {
      if (opts.asyncCommit) await tx.execute(sql`set local synchronous_commit = off`);
      return counted(tx, items, true);
    });
  } catch (err) {
    // The caller's commit failed (the page before this one did): nothing of the page is applied.
    if (err instanceof CommitFailed) throw err.cause;
    const result: PageResult = { counts: zeroCounts(), touched: [], errors: [], stale: [] };
    for (const item of items) {
      try {
        const one = await withTx(db, (tx) => counted(tx, [item], false));
        result.counts = addCounts(result.counts, one.counts);
        result.touched.push(...one.touched);
        result.stale.push(...one.stale);
      } catch (err) {
        result.counts.failed++;
        result.errors.push({ remoteId: item.remoteId, error: (err as Error).message });
        if (opts.runId) await addRunCounts(db, opts.runId, { ...zeroCounts(), failed: 1 });
      }
    }
    return result;
  }
}

/** The pending link whose text marker an item's JSON holds, for connectors that do not report `marker`. */
function markedInRaw<L>(item: RemoteItem, needles: ReadonlyArray<{ link: L; needle: string }>): L | undefined {
  const raw = JSON.stringify(item.raw);
  return needles.find(({ needle }) => raw.includes(needle))?.link;
}

/** One page being applied: what every item's step shares, and what the page adds up. */
interface PageApply {
  db: Db;
  binding: SyncBinding;
  opts: ApplyOptions;
  rules: EffectiveRules;
  /** The hub's project key, for decisions that read the story's key. */
  key: string;
  byStory: Map<string, Story>;
  result: PageResult;
  warnings: string[];
  pulled: HookPayloads['item.pulled'][];
}

async function applyItems(db: Db, binding: SyncBinding, items: RemoteItem[], opts: ApplyOptions): Promise<PageResult> {
  const result: PageResult = { counts: zeroCounts(), touched: [], errors: [], stale: [] };
  if (!items.length) return result;
  const rules = opts.rules ?? effectiveRules(binding.rules ?? null, '');
  const ids = items.map((i) => i.remoteId);
  // The page's links and the binding's pending ones (creates not linked yet) in one read.
  const found = await linksOfPage(db, binding.id, ids);
  const links = found.filter((l) => l.remoteId !== null);
  const byRemote = new Map(links.map((l) => [l.remoteId, l]));
  const adoption = pendingCreates(found.filter((l) => l.remoteId === null), opts.markerForm);
  const storyRows = await getStories(db, links.map((l) => l.storyId));
  const page: PageApply = {
    db, binding, opts, rules, result, warnings: [], pulled: [],
    // Only linked items are decided against the hub (a page of new items needs no key).
    key: links.length || adoption ? await projectKey(db, binding.projectId) : 'HUB',
    byStory: new Map(storyRows.map((s) => [s.id, s])),
  };
  // New items are created together: three set-based inserts per page instead of three per item.
  const toCreate = new Map<string, RemoteItem>();
  for (const item of items) {
    // An item a push created but had not linked yet (it died in between): adopt it, never import it as a new story (I1).
    const link = byRemote.get(item.remoteId) ?? (adoption && (await adopt(page, adoption, item)));
    if (!link) {
      if (binding.importPolicy === 'review') {
        await upsertInboxItem(db, binding.id, item);
        result.counts.inboxed++;
      } else {
        toCreate.set(item.remoteId, item);
      }
    } else if (leftAlone(page, link, item)) {
      result.counts.unchanged++;
    } else {
      await applyLinked(page, link, item);
    }
  }
  await createNew(page, [...toCreate.values()]);
  await recordWarnings(db, binding.id, page.warnings);
  // In the page's transaction: a page that rolls back fires nothing, a re-applied one finds nothing new.
  await fireHooks(db, 'item.pulled', page.pulled);
  // New links were stamped as they were inserted; the others are stamped here.
  const listed = ids.filter((id) => !toCreate.has(id));
  if (opts.full && listed.length) {
    await markListed(db, binding.id, listed, opts.listedAt);
  }
  return result;
}

/** The binding's pending creates, found by the marker the connector reports or, failing that, by its text in the item. */
interface PendingCreates { find(item: RemoteItem): ExternalLink | undefined }

function pendingCreates(pending: ExternalLink[], markerForm?: (marker: string) => string): PendingCreates | undefined {
  if (!pending.length) return undefined;
  const byMarker = new Map(pending.map((link) => [markerForm ? markerForm(link.marker) : link.marker, link]));
  // A connector that reports no `marker` may still keep the SDK's text marker somewhere in the item: built once a page.
  const inText = pending.map((link) => ({ link, needle: JSON.stringify(markerComment(link.marker)).slice(1, -1) }));
  return { find: (item) => (item.marker !== undefined ? byMarker.get(item.marker) : markedInRaw(item, inText)) };
}

/** Links a pending create to the item it made, keeping the create's write-ahead snapshot so remote edits since are applied. */
async function adopt(page: PageApply, adoption: PendingCreates, item: RemoteItem): Promise<ExternalLink | undefined> {
  const pending = adoption.find(item);
  if (!pending) return undefined;
  // The create's write-ahead snapshot (what it sent), so edits made remotely since then are applied below.
  const { createAttemptedAt: _attempt, ...ahead } = (pending.snapshot ?? {}) as Snapshot;
  const snapshot = pending.snapshot ? ahead : snapshotOf(page.rules, item);
  await adoptPendingLink(page.db, pending.id, item, snapshot);
  const story = await getStory(page.db, pending.storyId);
  if (story) page.byStory.set(story.id, story);
  return { ...pending, remoteId: item.remoteId, snapshot };
}

/** A linked item the page must not apply (counted unchanged); a stale one is handed back to be read again. */
function leftAlone(page: PageApply, link: ExternalLink, item: RemoteItem): boolean {
  if (page.opts.fetchedAtSeq !== undefined && link.writeSeq > page.opts.fetchedAtSeq) {
    // A push wrote this item while the page was on its way: the page may show it as it was before.
    // Not left to the next pull: if the push wrote before the fetch, the page already shows its write
    // and the listing's watermark covers the item, so no later pull lists it again. Read it again.
    page.result.stale.push(item.remoteId);
    return true;
  }
  // A read older than the one the link last recorded (a scheduled page and a webhook's fetch of the
  // same item crossing): applying it would take the hub back to a state the remote has left.
  return readBefore(item.updatedAt, link.remoteUpdatedAt);
}

/** One linked item: decide against the hub and the snapshot, write what the rules take, and explain it. */
async function applyLinked(page: PageApply, link: ExternalLink, item: RemoteItem): Promise<void> {
  const { db, binding, opts, result } = page;
  const story = page.byStory.get(link.storyId);
  const snapshot = link.snapshot as Snapshot | null;
  const decision = decidePull(page.rules, {
    hub: story ? hubView(story, page.key) : null, remote: item, snapshot, hubUpdatedAt: story?.updatedAt.toISOString(),
  });
  page.warnings.push(...decision.warnings);
  const before = story ? storyFields(story) : undefined;
  const changes = before ? diffFields(before, { ...before, ...decision.set }) : [];
  const where = { storyId: link.storyId, bindingId: binding.id, direction: 'pull' as const, remoteId: item.remoteId, remoteKey: item.key, runId: opts.explainRunId ?? opts.runId ?? null };
  let storyVersion = story?.version ?? null;
  if (changes.length) {
    storyVersion = await updateStoryFromRemote(db, binding, link.storyId, changes);
    result.counts.updated++;
    page.pulled.push({ bindingId: binding.id, storyId: link.storyId, remoteId: item.remoteId, outcome: 'updated' });
  } else {
    result.counts.unchanged++;
  }
  // In the page's transaction, with the writes they explain (and the conflicts the hub won, which write nothing).
  const written = before && changes.length ? hubWrites(decision.reasons, before, { ...before, ...decision.set }) : [];
  await recordExplain(db, fieldEntries({ ...where, storyVersion }, [...written, ...decision.reasons.filter((r) => r.target === 'none')]));
  if (decision.messages.length) {
    await addRuleMessages(db, binding, link.storyId, decision.messages);
    await recordExplain(db, decision.messages.map((body) => crossingEntry(where, 'comment', 'hub', body, 'rule message added')));
  }
  const settled = link.commentsSyncedAt !== item.updatedAt && opts.settled?.(item) === true;
  if (link.remoteUpdatedAt !== item.updatedAt || settled || !sameJson(snapshot, decision.snapshot)) {
    await recordPulled(db, link.id, item, decision.snapshot, settled ? { commentsSyncedAt: item.updatedAt } : {});
  }
  if (link.commentsSyncedAt !== item.updatedAt && !settled) {
    result.touched.push({ remoteId: item.remoteId, storyId: link.storyId, since: link.commentsSyncedAt, updatedAt: item.updatedAt, commentCount: item.commentCount });
  }
}

/** The page's new items, created as stories together; those with comments or files to fetch are handed back as touched. */
async function createNew(page: PageApply, items: RemoteItem[]): Promise<void> {
  const { binding, opts, result } = page;
  const created = await createStoriesFromRemote(page.db, binding, items, page.rules, page.warnings, {
    listedAt: opts.full ? opts.listedAt : null, settled: opts.settled, runId: opts.explainRunId ?? opts.runId,
  });
  for (const [i, item] of items.entries()) {
    result.counts.created++;
    page.pulled.push({ bindingId: binding.id, storyId: created[i]!, remoteId: item.remoteId, outcome: 'created' });
    if (opts.settled?.(item)) continue;
    result.touched.push({ remoteId: item.remoteId, storyId: created[i]!, since: null, updatedAt: item.updatedAt, commentCount: item.commentCount });
  }
}

/** Whether a read stamped `read` is strictly older than the remote timestamp `recorded` (both ISO 8601). */
function readBefore(read: string, recorded: string | null): boolean {
  if (recorded === null) return false;
  const [a, b] = [Date.parse(read), Date.parse(recorded)];
  return Number.isFinite(a) && Number.isFinite(b) && a < b;
}
