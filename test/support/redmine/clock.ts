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
