import { eventually } from '../harness';
import { getIssue } from './issues';
import type { Redmine } from './types';

/**
 * Waits until the clock is in a later second than the issue's last update. Redmine keeps
 * `updated_on` in whole seconds, so a change made in that same second would not move it and a pull
 * could not tell it apart (a known limit). Redmine runs on this machine and sends no Date header,
 * so its clock is ours; the wait ends as soon as the second turns, whatever the machine's speed.
 */
export async function pastIssueUpdateSecond(r: Redmine, issueId: number): Promise<void> {
  const updated = Date.parse((await getIssue(r, issueId)).updated_on);
  await eventually(async () => Date.now() >= updated + 1000, 10_000, 50);
}

/**
 * Writes to an issue until Redmine stamps the write (its `updated_on`) at or after `notBefore` (ms since
 * the epoch, a whole second). Each attempt first waits for the clock to get there (Redmine runs on this
 * machine); Redmine's own stamp decides, read back after the write. `write` must change the issue each
 * time (it gets the attempt number): a PUT that changes nothing leaves `updated_on` alone. Returns the stamp.
 */
export async function writeStampedAtOrAfter(r: Redmine, issueId: number, notBefore: number, write: (attempt: number) => Promise<void>): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    await eventually(async () => Date.now() >= notBefore, Math.max(0, notBefore - Date.now()) + 10_000, 50);
    await write(attempt);
    const stamped = Date.parse((await getIssue(r, issueId)).updated_on);
    if (stamped >= notBefore) return stamped;
    if (attempt >= 5) throw new Error(`Redmine stamped issue #${issueId} at ${new Date(stamped).toISOString()}, before ${new Date(notBefore).toISOString()}, ${attempt} times`);
  }
}
