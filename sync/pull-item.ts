import { linksByRemoteIds, takeWriteSeq } from '../db/links';
import { softDeleteFromRemote } from '../db/pulled';
import { markWebhookRead } from '../db/bindings';
import type { PullPorts } from './ports';
import { applyRemotePage, type PageCounts } from './pull';
import { fetchPlan, pullRelated } from './pull-related';

/** How often one call reads the item again when a push wrote it while it was being fetched. */
const MAX_READS = 3;

export interface PullItemResult {
  /** Why nothing was applied: the binding is not active, or the remote has no such item in the scope. */
  skipped?: string;
  /** The remote no longer has the linked item (a deleted-issue webhook): its story was soft-deleted. */
  deleted?: boolean;
  counts?: PageCounts;
  comments?: number;
}

/**
 * Reads one remote item fresh and applies it as a one-item page of a pull (rules, snapshot, E1,
 * import policy, then its comments and files): what a webhook's hint turns into. No run row: a
 * webhook is not a pull, and the scheduled pull still reads everything it would have.
 */
export async function pullItem(ports: PullPorts, remoteId: string): Promise<PullItemResult> {
  const { db, binding, client, rules } = ports;
  if (binding.state !== 'active') return { skipped: `binding is ${binding.state}` };
  const plan = fetchPlan(ports);
  for (let read = 1; ; read++) {
    // Stamped before the read, as a pull's page is: a push that writes the item meanwhile wins (see ApplyOptions.fetchedAtSeq).
    const fetchedAtSeq = await takeWriteSeq(db);
    const item = await ports.call(() => client.getItem(binding.scope, remoteId));
    if (read === 1) await markWebhookRead(db, binding.id);
    if (!item) return { ...(await deletedRemotely(ports, remoteId)), skipped: 'no such item in the scope' };
    const applied = await applyRemotePage(db, binding, [item], { full: false, listedAt: new Date(), rules, settled: plan.settled, fetchedAtSeq, markerForm: ports.markerForm });
    for (const e of applied.errors) ports.logger.warn({ bindingId: binding.id, remoteId: e.remoteId, error: e.error }, 'remote item failed to apply');
    const [link] = await linksByRemoteIds(db, binding.id, [remoteId]);
    // A push wrote the item while it was read: the read may predate that write, so read it again.
    if (link && link.writeSeq > fetchedAtSeq && read < MAX_READS) continue;
    const comments = await pullRelated(ports, applied.touched, plan);
    return { counts: applied.counts, comments };
  }
}

/**
 * A linked item the remote answered it does not have, on a read by key (what reconcile confirms with
 * too): its story is soft-deleted now rather than at the next sweep or initial sync.
 */
async function deletedRemotely(ports: PullPorts, remoteId: string): Promise<{ deleted?: boolean }> {
  const [link] = await linksByRemoteIds(ports.db, ports.binding.id, [remoteId]);
  if (!link) return {};
  await softDeleteFromRemote(ports.db, ports.binding, link.storyId, remoteId);
  return { deleted: true };
}
