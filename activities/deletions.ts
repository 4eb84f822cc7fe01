import { and, eq, isNotNull } from 'drizzle-orm';
import { liveLinks, softDeleteFromRemote, sweepDue, unlistedLinks } from '../db/pulled';
import { markSwept } from '../db/bindings';
import { externalLinks } from '../db/schema';
import type { ActivityDeps } from './deps';
import { openBinding, remoteCall, type BoundClient } from './bindings';

export interface ReconcileInput {
  bindingId: string;
  /** When the complete listing began: a full listing stamps what it saw from then on. */
  listedAt: string;
  /** After an incremental pull (false), only an id sweep runs, and only when one is due. Default true. */
  full?: boolean;
}

export interface ReconcileResult {
  checked: number;
  deleted: number;
  /** Why nothing was deleted though items were missing. */
  skipped?: string;
  /** Items the id sweep listed, when it ran. */
  swept?: number;
}

/** Minutes between sweeps after pulls when the worker was not told (DELETION_SWEEP_MINUTES). */
const DEFAULT_SWEEP_MINUTES = 60;

/**
 * Finds remote deletions. A connector that lists ids alone (`listIds`) is swept: after an initial sync,
 * and after pulls once DELETION_SWEEP_MINUTES have passed. Otherwise an initial sync's complete listing
 * is compared with the links. Either way a missing item is read by key and its story soft-deleted only
 * when the remote confirms it is gone: search indexes lag, and offset pages shift under deletions.
 */
export async function reconcile(deps: ActivityDeps, input: ReconcileInput): Promise<ReconcileResult> {
  const full = input.full ?? true;
  const bound = await openBinding(deps, input.bindingId);
  if (bound.client.listIds) {
    const now = deps.now?.() ?? new Date();
    if (!full && !(await sweepDue(deps.db, input.bindingId, deps.deletionSweepMinutes ?? DEFAULT_SWEEP_MINUTES, now))) return { checked: 0, deleted: 0 };
    const present = await sweepIds(deps, bound);
    const candidates = (await liveLinks(deps.db, input.bindingId)).filter((l) => !present.has(l.remoteId!));
    const result = { ...(await confirmDeletions(deps, bound, candidates)), swept: present.size };
    await markSwept(deps.db, input.bindingId, now);
    return result;
  }
  if (!full) return { checked: 0, deleted: 0 };
  return confirmDeletions(deps, bound, await unlistedLinks(deps.db, input.bindingId, new Date(input.listedAt)));
}

async function sweepIds(deps: ActivityDeps, bound: BoundClient): Promise<Set<string>> {
  const pages = bound.client.listIds!(bound.binding.scope)[Symbol.asyncIterator]();
  const present = new Set<string>();
  try {
    for (;;) {
      const { value, done } = await remoteCall(deps, bound.binding.id, () => pages.next());
      if (done) return present;
      for (const id of value) present.add(id);
    }
  } finally {
    await pages.return?.();
  }
}

/**
 * Reads each candidate by key and soft-deletes the stories of those the remote no longer has. A listing
 * that misses most items is more likely broken than a mass deletion, so then nothing is deleted.
 */
async function confirmDeletions(deps: ActivityDeps, bound: BoundClient, candidates: Array<{ storyId: string; remoteId: string | null }>): Promise<ReconcileResult> {
  const bindingId = bound.binding.id;
  if (!candidates.length) return { checked: 0, deleted: 0 };
  const linked = await deps.db.$count(externalLinks, and(eq(externalLinks.bindingId, bindingId), isNotNull(externalLinks.remoteId)));
  if (candidates.length > 10 && candidates.length > linked / 2) {
    const skipped = `${candidates.length} of ${linked} linked items missing from the listing; not deleting without confirmation`;
    deps.logger.warn({ bindingId }, skipped);
    return { checked: 0, deleted: 0, skipped };
  }
  let deleted = 0;
  for (const c of candidates) {
    const item = await remoteCall(deps, bindingId, () => bound.client.getItem(bound.binding.scope, c.remoteId!));
    if (item === null) {
      await softDeleteFromRemote(deps.db, bound.binding, c.storyId, c.remoteId);
      deleted++;
    }
  }
  return { checked: candidates.length, deleted };
}
