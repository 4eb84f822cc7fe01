import type { ItemFields } from '../connectors/types';
import { decidePull, decidePush, type EffectiveRules, type HubView, type RemoteView, type RuleSnapshot } from '../rules';
import { translate } from '../rules/maps';
import { customFieldName, isConnectorField, type FieldRule } from '../rules/schema';
import { jsonToValue, readFields, readHub, readRemote, sameJson, sameValue, type Value } from '../rules/values';

/** What a sync does with one field: the hub takes the remote's value, the next push writes the hub's, or nothing. */
export type FieldDecision = 'write hub' | 'write remote' | 'keep' | 'conflict';

export interface FieldExplanation {
  /** The hub field, and the remote field or path the rule reads. */
  field: string;
  remoteField: string;
  /** The remote value as last synced (the link's snapshot); null when never synced. */
  base: Value | null;
  hub: Value | null;
  remote: Value;
  decision: FieldDecision;
  /** For a conflict: who wins under the rule, and what that writes. */
  resolution?: string;
  rule: string;
}

export interface PullExplanation {
  fields: FieldExplanation[];
  /** Hub comments the rules would add (message_from_field, default_message). */
  messages: string[];
  warnings: string[];
}

/** "two_way (remote_wins)", "default (Normal)", "one_way +map". */
export function describeRule(rule: FieldRule): string {
  const detail = rule.kind === 'two_way' ? ` (${rule.policy ?? 'remote_wins'})` : rule.kind === 'default' && rule.default !== undefined ? ` (${JSON.stringify(rule.default)})` : '';
  return `${rule.kind}${detail}${rule.map?.length ? ' +map' : ''}`;
}

/** Fields with a partial patch applied; a custom-field patch merges into the map. */
const patched = (fields: ItemFields, patch: Partial<ItemFields>): ItemFields =>
  ({ ...fields, ...patch, customFields: { ...fields.customFields, ...patch.customFields } });

/** Whether a decision's partial fields name `ref` at all (a new story takes every field it names). */
function names(set: Partial<ItemFields>, ref: string): boolean {
  const custom = customFieldName(ref);
  if (custom !== undefined) return set.customFields !== undefined && custom in set.customFields;
  return ref === 'status' ? set.status !== undefined || set.closed !== undefined : ref in set;
}

function baseValue(rule: FieldRule, snapshot: RuleSnapshot | null): Value | undefined {
  if (!snapshot) return undefined;
  if (isConnectorField(rule.remote)) return readFields(snapshot.fields, rule.remote);
  return snapshot.paths && rule.remote in snapshot.paths ? jsonToValue(snapshot.paths[rule.remote]) : undefined;
}

/**
 * Field by field, what a pull of `remote` decides under `rules`, and what the next push would write
 * back. The writes themselves are decided by rules/decide.ts (decidePull, decidePush), exactly as the
 * pull and the push apply them; this only labels each field with the outcome.
 */
export function explainPull(rules: EffectiveRules, input: { hub: HubView | null; remote: RemoteView; snapshot: RuleSnapshot | null; hubUpdatedAt?: string | undefined }): PullExplanation {
  const { hub, remote, snapshot } = input;
  const pull = decidePull(rules, input);
  const push = hub ? decidePush(rules, { hub, remote, snapshot, hubUpdatedAt: input.hubUpdatedAt ?? remote.updatedAt }) : null;
  const fields = rules.fields.map((rule): FieldExplanation => {
    const r = readRemote(rule, remote.fields, remote.raw);
    const h = hub ? readHub(hub, rule.hub) : null;
    const base = baseValue(rule, snapshot);
    const writesHub = rule.kind !== 'to_remote' && (hub ? !sameJson(readFields(patched(hub.fields, pull.set), rule.hub), h) : names(pull.set, rule.hub));
    const writesRemote = push !== null && isConnectorField(rule.remote) && names(push.patch, rule.remote)
      && !sameJson(readFields(patched(remote.fields, push.patch), rule.remote), r);
    const outcome: FieldDecision = writesHub ? 'write hub' : writesRemote ? 'write remote' : 'keep';
    const view = { field: rule.hub, remoteField: rule.remote, base: base ?? null, hub: h, remote: r, rule: describeRule(rule) };
    if (rule.kind === 'two_way' && hub && base !== undefined) {
      const asRemote = translate(rule, h, 'remote');
      const remoteChanged = !sameValue(r, base);
      const hubChanged = asRemote.ok && !sameValue(asRemote.value, base);
      const inSync = asRemote.ok && sameValue(asRemote.value, r);
      if (remoteChanged && hubChanged && !inSync) {
        const winner = outcome === 'write hub' ? 'remote wins' : outcome === 'write remote' ? 'hub wins' : 'unresolved';
        return { ...view, decision: 'conflict', resolution: `${winner}: ${outcome}` };
      }
    }
    return { ...view, decision: outcome };
  });
  return { fields, messages: pull.messages, warnings: [...new Set([...pull.warnings, ...(push?.warnings ?? [])])] };
}
