import type { FieldRule } from './schema';
import type { Value } from './values';

export type Policy = NonNullable<FieldRule['policy']>;

/**
 * Why a decision writes one field (or, for a conflict the hub wins on a pull, keeps it): the rule, the
 * three values it compared, and what goes where. The explain log stores these as the decisions give them.
 */
export interface FieldReason {
  /** The hub field, and the remote field or path the rule reads. */
  field: string;
  remoteField: string;
  rule: FieldRule['kind'];
  /** two_way only: the policy that settles a conflict. */
  policy: Policy | null;
  /** The remote value as last synced (the link's snapshot); null when there is none. */
  base: Value | null;
  hub: Value | null;
  remote: Value | null;
  /** Where `written` goes; `none`: nothing is written (the hub keeps its value under hub_wins). */
  target: 'hub' | 'remote' | 'none';
  written: Value | null;
  /** In words: "remote changed since the last sync", "conflict: hub wins (hub_wins)". */
  outcome: string;
  /** Changed on both sides since the last sync: settled by the policy. */
  conflict: boolean;
}

export interface Compared { base: Value | undefined; hub: Value | null; remote: Value | null }

export function fieldReason(rule: FieldRule, values: Compared, target: FieldReason['target'], written: Value | null, outcome: string, conflict = false): FieldReason {
  return {
    field: rule.hub, remoteField: rule.remote, rule: rule.kind, policy: rule.kind === 'two_way' ? (rule.policy ?? 'remote_wins') : null,
    base: values.base ?? null, hub: values.hub, remote: values.remote, target, written, outcome, conflict,
  };
}

/** How a field changed on both sides (or with no last-synced value to tell) was settled. */
export function settled(rule: FieldRule, winner: 'hub' | 'remote', hasBase: boolean): string {
  const policy = rule.policy ?? 'remote_wins';
  const why = policy === 'newest_wins' ? `newest_wins: the ${winner} edit is newer` : policy;
  return `${hasBase ? 'conflict' : 'no last-synced value'}: ${winner} wins (${why})`;
}

export const OUTCOMES = {
  remoteChanged: 'remote changed since the last sync',
  hubChanged: 'hub changed since the last sync',
  newStory: 'new story from the remote item',
  newItem: 'sent with the new remote item',
  mirrored: 'one_way: the remote value mirrored',
  defaulted: 'default: the hub value was unset',
  literal: 'default: the remote is empty, the rule default set',
  toRemote: 'to_remote: the hub value sent',
} as const;
