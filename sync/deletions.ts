import { linkedCount, liveLinks, softDeleteFromRemote, sweepDue, unlistedLinks } from '../db/pulled';
import { markSwept } from '../db/bindings';
import type { PullPorts } from './ports';

export interface ReconcileInput {
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

/**
 * Finds remote deletions. A connector that lists ids alone (`listIds`) is swept: after an initial sync,
 * and after pulls once `deletionSweepMinutes` have passed. Otherwise an initial sync's complete listing
 * is compared with the links. Either way a missing item is read by key and its story soft-deleted only
 * when the remote confirms it is gone: search indexes lag, and offset pages shift under deletions.
 */
export async function reconcile(ports: PullPorts, input: ReconcileInput): Promise<ReconcileResult> {
  const full = input.full ?? true;
  const { db, binding } = ports;
  if (ports.client.listIds) {
    const now = ports.now();
    if (!full && !(await sweepDue(db, binding.id, ports.deletionSweepMinutes, now))) return { checked: 0, deleted: 0 };
    const present = await sweepIds(ports);
    const candidates = (await liveLinks(db, binding.id)).filter((l) => !present.has(l.remoteId!));
    const result = { ...(await confirmDeletions(ports, candidates)), swept: present.size };
    await markSwept(db, binding.id, now);
    return result;
  }
  if (!full) return { checked: 0, deleted: 0 };
  return confirmDeletions(ports, await unlistedLinks(db, binding.id, new Date(input.listedAt)));
}

async function sweepIds(ports: PullPorts): Promise<Set<string>> {
  const pages = ports.client.listIds!(ports.binding.scope)[Symbol.asyncIterator]();
  const present = new Set<string>();
  try {
    for (;;) {
      const { value, done } = await ports.call(() => pages.next());
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
async function confirmDeletions(ports: PullPorts, candidates: Array<{ storyId: string; remoteId: string | null }>): Promise<ReconcileResult> {
  const { db, binding } = ports;
  if (!candidates.length) return { checked: 0, deleted: 0 };
  const linked = await linkedCount(db, binding.id);
  if (candidates.length > 10 && candidates.length > linked / 2) {
    const skipped = `${candidates.length} of ${linked} linked items missing from the listing; not deleting without confirmation`;
    ports.logger.warn({ bindingId: binding.id }, skipped);
    return { checked: 0, deleted: 0, skipped };
  }
  let deleted = 0;
  for (const c of candidates) {
    const item = await ports.call(() => ports.client.getItem(binding.scope, c.remoteId!));
    if (item === null) {
      await softDeleteFromRemote(db, binding, c.storyId, c.remoteId);
      deleted++;
    }
  }
  return { checked: candidates.length, deleted };
}
