import { pullItem, type PullItemResult } from '../sync/pull-item';
import type { ActivityDeps } from './deps';
import { openBinding, pullPorts } from './bindings';

export type PullRemoteItemResult = PullItemResult;

export function createPullItemActivities(deps: ActivityDeps) {
  return {
    /** What a webhook's hint turns into: one remote item read fresh and applied (sync/pull-item.ts). */
    async pullRemoteItem(input: { bindingId: string; remoteId: string }): Promise<PullRemoteItemResult> {
      return pullItem(pullPorts(deps, await openBinding(deps, input.bindingId)), input.remoteId);
    },
  };
}
