import type { ItemFields } from '../connectors/types';
import { sameJson, type FieldReason, type PushDecision } from '../rules';
import type { EffectiveRules } from '../rules/schema';
import { readFields, withoutEmpty } from '../rules/values';

/**
 * The hub writes among a decision's reasons that the write changed (a decision may set a field to what
 * the hub already holds, which diffFields leaves out, so the explain log does too).
 */
export function hubWrites(reasons: FieldReason[], before: ItemFields, after: ItemFields): FieldReason[] {
  return reasons.filter((r) => r.target === 'hub' && !sameJson(withoutEmpty(readFields(before, r.field)), withoutEmpty(readFields(after, r.field))));
}

/**
 * Why a push wrote their value back after a race (sync/race.ts): they edited a field between our read and
 * our write, and their edit wins under the field's policy. The three values come from the decision taken
 * again, where the field is a hub write (the hub takes their value).
 */
export function restoredReasons(rules: EffectiveRules, again: PushDecision, restore: Partial<ItemFields>, remoteAfter: ItemFields): FieldReason[] {
  const out: FieldReason[] = [];
  for (const rule of rules.fields) {
    if (rule.kind !== 'two_way' || !writes(restore, rule.remote)) continue;
    const decided = again.reasons.find((r) => r.field === rule.hub);
    const policy = rule.policy ?? 'remote_wins';
    const written = readFields(remoteAfter, rule.remote);
    out.push({
      field: rule.hub, remoteField: rule.remote, rule: rule.kind, policy,
      base: decided?.base ?? null, hub: decided?.hub ?? null, remote: decided?.remote ?? written,
      target: 'remote', written, conflict: true,
      outcome: `conflict: remote wins (${policy}): an edit made during our write is put back`,
    });
  }
  return out;
}

function writes(patch: Partial<ItemFields>, ref: string): boolean {
  if (ref.startsWith('customFields.')) return patch.customFields !== undefined && ref.slice('customFields.'.length) in patch.customFields;
  if (ref === 'status') return patch.status !== undefined || patch.closed !== undefined;
  return ref in patch;
}
