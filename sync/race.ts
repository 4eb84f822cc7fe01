import type { ItemFields, RemoteItem } from '../connectors/types';
import { decidePush, sameValue, type EffectiveRules, type HubView, type PushDecision, type RuleSnapshot } from '../rules';

export interface RaceInput {
  rules: EffectiveRules;
  hub: HubView;
  snapshot: RuleSnapshot | null;
  hubUpdatedAt: string;
  /** The remote item as read before the write. */
  current: RemoteItem;
  decision: PushDecision;
  /** What other actors set on the remote between that read and our write (ConnectorClient.editsSince). */
  theirs: Partial<ItemFields>;
}

export interface RaceOutcome {
  /** The decision as it would have been had the read come after their edit. */
  decision: PushDecision;
  /** Fields we wrote over their edit that their edit wins: their values, to write back to the remote. */
  restore: Partial<ItemFields>;
}

/** Fields of `theirs` written over by `patch`: the ones the race is about. */
function overlaps(patch: Partial<ItemFields>, theirs: Partial<ItemFields>): boolean {
  return Object.keys(theirs).some((key) =>
    key === 'customFields'
      ? Object.keys(theirs.customFields ?? {}).some((name) => name in (patch.customFields ?? {}))
      : key === 'status' || key === 'closed' ? patch.status !== undefined || patch.closed !== undefined : key in patch);
}

/**
 * C1 across the gap between a push's read and its write. The decision is taken again against the remote
 * as their edit left it: a field changed on both sides goes to the field's policy, exactly as if their
 * edit had been read. Where their value wins (remote_wins, or newest_wins with the newer edit), the remote
 * now holds ours: `restore` puts theirs back, and the new decision takes it into the hub. Under hub_wins
 * our write stands. Returns null when no edit of theirs touched what we wrote.
 */
export function settleRace(input: RaceInput): RaceOutcome | null {
  const { rules, hub, snapshot, hubUpdatedAt, current, decision, theirs } = input;
  if (!overlaps(decision.patch, theirs)) return null;
  const fields: ItemFields = { ...current.fields, ...theirs, customFields: { ...current.fields.customFields, ...theirs.customFields } };
  const again = decidePush(rules, { hub, remote: { ...current, fields }, snapshot, hubUpdatedAt });
  const restore: Partial<ItemFields> = {};
  const wrote = decision.patch;
  // Only where the remote now holds our value over a different one of theirs.
  for (const key of Object.keys(wrote) as Array<keyof ItemFields>) {
    if (key === 'customFields') {
      for (const [name, ours] of Object.entries(wrote.customFields ?? {})) {
        const their = fields.customFields[name] ?? null;
        if (!(name in (again.patch.customFields ?? {})) && !sameValue(their, ours)) restore.customFields = { ...restore.customFields, [name]: their };
      }
    } else if (key === 'status' || key === 'closed') {
      const differs = (wrote.closed !== undefined && wrote.closed !== fields.closed) || (wrote.status !== undefined && wrote.status.toLowerCase() !== fields.status.toLowerCase());
      if (again.patch.status === undefined && again.patch.closed === undefined && differs) Object.assign(restore, { status: fields.status, closed: fields.closed });
    } else if (!(key in again.patch) && !sameValue(fields[key], wrote[key])) {
      Object.assign(restore, { [key]: fields[key] });
    }
  }
  return { decision: again, restore };
}
