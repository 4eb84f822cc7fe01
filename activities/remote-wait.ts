import { isRateLimitedError } from '../connectors/errors';
import { clearBindingWait, setBindingWait } from '../db/bindings';
import type { ActivityDeps } from './deps';

/** "14:05 UTC": the status line is read by people, in the server's one timezone. */
const clockTime = (at: Date): string => `${at.toISOString().slice(11, 16)} UTC`;

/**
 * Keeps the binding's `waiting` status in step with its remote: a rate limit handed back to Temporal
 * (too long to sleep in-process) is recorded with when it ends, and the next call that goes through
 * clears it. A database hiccup here never fails the remote call: the status is only a report.
 */
export async function reportRemoteWait(deps: ActivityDeps, bindingId: string, outcome: { error: unknown } | { ok: true }): Promise<void> {
  try {
    if ('ok' in outcome) {
      await clearBindingWait(deps.db, bindingId);
      return;
    }
    const { error } = outcome;
    if (!isRateLimitedError(error) || error.retryAfterMs === undefined) return;
    const until = new Date((deps.now?.() ?? new Date()).getTime() + error.retryAfterMs);
    await setBindingWait(deps.db, bindingId, until, `waiting for ${error.service}'s rate limit until ${clockTime(until)}`);
  } catch (err) {
    deps.logger.warn({ bindingId, err }, 'could not update the binding\'s waiting status');
  }
}
