import { linksByRemoteIds, takeWriteSeq } from '../db/links';
import { applyRemotePage, type PageCounts } from '../sync/pull';
import type { ActivityDeps } from './deps';
import { openBinding, remoteCall, type BoundClient } from './bindings';
import { softDeleteFromRemote } from '../db/pulled';
import { markWebhookRead } from '../db/bindings';
import { fetchPlan, syncRelated } from './sync';

/** How often one activity reads the item again when a push wrote it while it was being fetched. */
const MAX_READS = 3;

export interface PullRemoteItemResult {
  /** Why nothing was applied: the binding is not active, or the remote has no such item in the scope. */
  skipped?: string;
  /** The remote no longer has the linked item (a deleted-issue webhook): its story was soft-deleted. */
  deleted?: boolean;
  counts?: PageCounts;
  comments?: number;
}

/**
 * A linked item the remote answered it does not have, on a read by key (what reconcile confirms with
 * too): its story is soft-deleted now rather than at the next sweep or initial sync.
 */
async function deletedRemotely(deps: ActivityDeps, bound: BoundClient, remoteId: string): Promise<{ deleted?: boolean }> {
  const [link] = await linksByRemoteIds(deps.db, bound.binding.id, [remoteId]);
  if (!link) return {};
  await softDeleteFromRemote(deps.db, bound.binding, link.storyId, remoteId);
  return { deleted: true };
}

export function createPullItemActivities(deps: ActivityDeps) {
  return {
    /**
     * Reads one remote item fresh and applies it as a one-item page of a pull (rules, snapshot, E1,
     * import policy, then its comments and files): what a webhook's hint turns into. No run row: a
     * webhook is not a pull, and the scheduled pull still reads everything it would have.
     */
    async pullRemoteItem(input: { bindingId: string; remoteId: string }): Promise<PullRemoteItemResult> {
      const bound = await openBinding(deps, input.bindingId);
      const { binding } = bound;
      if (binding.state !== 'active') return { skipped: `binding is ${binding.state}` };
      const { rules } = bound;
      const plan = fetchPlan(bound, rules);
      for (let read = 1; ; read++) {
        // Stamped before the read, as a pull's page is: a push that writes the item meanwhile wins (see ApplyOptions.fetchedAtSeq).
        const fetchedAtSeq = await takeWriteSeq(deps.db);
        const item = await remoteCall(deps, binding.id, () => bound.client.getItem(binding.scope, input.remoteId));
        if (read === 1) await markWebhookRead(deps.db, binding.id);
        if (!item) return { ...(await deletedRemotely(deps, bound, input.remoteId)), skipped: 'no such item in the scope' };
        const applied = await applyRemotePage(deps.db, binding, [item], { full: false, listedAt: new Date(), rules, settled: plan.settled, fetchedAtSeq });
        for (const e of applied.errors) deps.logger.warn({ bindingId: binding.id, remoteId: e.remoteId, error: e.error }, 'remote item failed to apply');
        const [link] = await linksByRemoteIds(deps.db, binding.id, [input.remoteId]);
        // A push wrote the item while it was read: the read may predate that write, so read it again.
        if (link && link.writeSeq > fetchedAtSeq && read < MAX_READS) continue;
        const comments = await syncRelated(deps, bound, applied.touched, rules, plan);
        return { counts: applied.counts, comments };
      }
    },
  };
}
