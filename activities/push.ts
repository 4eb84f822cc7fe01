import { isPermanentError } from '../connectors/errors';
import { insertDeadLetter, logPush } from '../db/deadletters';
import { signedFileUrl } from '../lib/file-links';
import type { PushPorts } from '../sync/ports';
import { writeStory, type PushOutcome } from '../sync/push';
import { routeEvent } from '../workflows/route';
import type { ActivityDeps } from './deps';
import { withHeartbeat } from './heartbeat';
import { openBinding, remoteCall, type BoundClient } from './bindings';

export type { PushOutcome } from '../sync/push';

export interface PushInput {
  bindingId: string;
  storyId: string;
  /** The newest outbox event this push covers (for dead letters and the push log). */
  eventId: number;
  /** `direct` defers to the backlog while the binding is backlogged; `drain` is the backlog itself. */
  mode: 'direct' | 'drain';
}

export function createPushActivities(deps: ActivityDeps) {
  return {
    /**
     * Brings one story's remote item on one binding up to the story's latest hub state (sync/push.ts).
     * Serialized per (binding, story) across workers, so an older state never lands after a newer one (O1).
     * A permanent remote failure becomes a dead letter; the others go back to Temporal as failures.
     */
    async writeRemote(input: PushInput): Promise<PushOutcome> {
      const bound = await openBinding(deps, input.bindingId);
      const { binding } = bound;
      const route = routeEvent(binding, input.mode);
      if (route.to === 'skip') return { outcome: 'skipped', reason: route.reason };
      if (route.to === 'backlog') return { outcome: 'deferred', reason: route.reason };
      return withHeartbeat(() => deps.withLock(`push:${binding.id}:${input.storyId}`, async () => {
        try {
          return await writeStory(pushPorts(deps, bound), input.storyId);
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

/** The engine's narrow view of the activity's dependencies. */
function pushPorts(deps: ActivityDeps, bound: BoundClient): PushPorts {
  return {
    db: deps.db,
    binding: bound.binding,
    connector: bound.connector,
    client: bound.client,
    call: (fn) => remoteCall(deps, bound.binding.id, fn, { throwPermanent: true }),
    fileUrl: (attachmentId) =>
      signedFileUrl(deps.publicUrl ?? 'http://localhost:3000', deps.secretBox, attachmentId, { ttlSeconds: deps.fileLinkTtlSeconds, now: deps.now?.() }),
    hooks: deps.hooks,
  };
}
