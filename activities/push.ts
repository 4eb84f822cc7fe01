import { ApplicationFailure, Context } from '@temporalio/activity';
import { isPermanentError, isTransientError } from '../connectors/errors';
import { Failure } from '../workflows/failures';
import { pushes } from '../lib/metrics';
import { fireHook } from '../db/hooks';
import { getLink } from '../db/links';
import { insertDeadLetter, logPush } from '../db/deadletters';
import { signedFileUrl } from '../lib/file-links';
import type { PushPorts } from '../sync/ports';
import type { RetryPolicy } from '../connectors/http/client';
import { writeStory, type PushOutcome } from '../sync/push';
import { routeEvent } from '../workflows/route';
import type { ActivityDeps } from './deps';
import { withHeartbeat } from './heartbeat';
import { bindingPorts, openBinding, remoteCall, type BoundClient } from './bindings';

export type { PushOutcome } from '../sync/push';

export interface PushInput {
  bindingId: string;
  storyId: string;
  /** The newest outbox event this push covers (for dead letters and the push log). */
  eventId: number;
  /** `direct` defers to the backlog while the binding is backlogged; `drain` is the backlog itself. */
  mode: 'direct' | 'drain';
  /**
   * The backlog's head while the remote is down: for up to this long, a transient remote failure is
   * retried here on a short interval (PROBE_INTERVAL_MS), each attempt without the HTTP client's own
   * retries, so the write goes through within a fraction of a second of the remote answering again.
   */
  probeMs?: number;
}

/** The head's in-process retries while probing: quick at first, then twice a second for a long outage. */
export const PROBE_INTERVAL_MS = { first: 200, max: 500 } as const;

/** A failure worth probing again: the remote failing transiently with no word on when to come back. */
function probeAgain(err: unknown): boolean {
  return err instanceof ApplicationFailure && err.type === Failure.transient && !err.nextRetryDelay;
}

/** An activity's cancellation-aware sleep, or a plain one outside an activity (a direct call in a test). */
function pause(ms: number): Promise<void> {
  try {
    return Context.current().sleep(ms);
  } catch {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }
}

export function createPushActivities(deps: ActivityDeps) {
  return {
    /**
     * Brings one story's remote item on one binding up to the story's latest hub state (sync/push.ts).
     * Serialized per (binding, story) across workers, so an older state never lands after a newer one (O1).
     * A permanent remote failure becomes a dead letter; the others go back to Temporal as failures.
     */
    async writeRemote(input: PushInput): Promise<PushOutcome> {
      if (!input.probeMs) return writeOnce(input);
      // The probe: a remote that is down answers the first request of a write at once (refused, 503),
      // so each attempt is cheap; one that answers a Retry-After is left to Temporal (nextRetryDelay).
      const until = Date.now() + input.probeMs;
      return withHeartbeat(async () => {
        for (let interval: number = PROBE_INTERVAL_MS.first; ; interval = Math.min(PROBE_INTERVAL_MS.max, interval * 2)) {
          try {
            return await writeOnce(input, { maxServerRetries: 0 });
          } catch (err) {
            if (!probeAgain(err) || Date.now() + interval > until) throw err;
            await pause(interval);
          }
        }
      });
    },
  };

  /** One attempt at the write. */
  async function writeOnce(input: PushInput, retry?: Partial<RetryPolicy>): Promise<PushOutcome> {
    const bound = await openBinding(deps, input.bindingId, retry);
    const { binding } = bound;
    const route = routeEvent(binding, input.mode);
    if (route.to === 'skip') return { outcome: 'skipped', reason: route.reason };
    if (route.to === 'backlog') return { outcome: 'deferred', reason: route.reason };
    const event = { bindingId: binding.id, storyId: input.storyId, eventId: input.eventId };
    const outcome = await withHeartbeat(() => deps.withLock(`push:${binding.id}:${input.storyId}`, async (): Promise<PushOutcome> => {
      try {
        const result = await writeStory(pushPorts(deps, bound), input.storyId);
        if (result.outcome === 'created' || result.outcome === 'updated' || result.outcome === 'deleted') {
          const remoteId = (await getLink(deps.db, binding.id, input.storyId))?.remoteId ?? null;
          await fireHook(deps.db, 'push.succeeded', { ...event, remoteId, outcome: result.outcome, fields: result.fields });
        }
        return result;
      } catch (err) {
        if (!isPermanentError(err)) {
          // A direct push hands a transient failure to the backlog (workflows/pushStory.ts): say so once, not per backlog retry.
          // remoteCall has made the remote's error a Temporal failure by now.
          const transient = isTransientError(err) || (err instanceof ApplicationFailure && err.type === Failure.transient);
          if (input.mode === 'direct' && transient) await fireHook(deps.db, 'push.failed', { ...event, error: (err as Error).message, permanent: false });
          throw err;
        }
        await insertDeadLetter(deps.db, { ...event, error: err.message });
        await logPush(deps.db, { bindingId: binding.id, storyId: input.storyId, storyVersion: 0, operation: 'write', outcome: 'dead-letter', error: err.message });
        await fireHook(deps.db, 'push.failed', { ...event, error: err.message, permanent: true });
        return { outcome: 'dead-letter', error: err.message };
      }
    })).catch((err: unknown) => {
      pushes.inc({ outcome: 'failed' });
      throw err;
    });
    pushes.inc({ outcome: outcome.outcome });
    return outcome;
  }
}

/** The engine's narrow view of the activity's dependencies. */
function pushPorts(deps: ActivityDeps, bound: BoundClient): PushPorts {
  return {
    ...bindingPorts(deps, bound, (fn) => remoteCall(deps, bound.binding.id, fn, { throwPermanent: true })),
    fileUrl: (attachmentId) =>
      signedFileUrl(deps.publicUrl ?? 'http://localhost:3000', deps.secretBox, attachmentId, { ttlSeconds: deps.fileLinkTtlSeconds, now: deps.now?.() }),
    hooks: deps.hooks,
  };
}
