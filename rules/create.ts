import type { ItemFields } from '../connectors/types';
import { HUB_DEFAULTS, snapshotOf, type RemoteView, type RuleSnapshot } from './decide';
import { translate } from './maps';
import { fieldReason, OUTCOMES, type FieldReason } from './reasons';
import type { EffectiveRules } from './schema';
import { scopedLabels } from './scoped-labels';
import { isStatus, isUnset, readFields, readHub, writeFields, type HubView, type Value } from './values';

/**
 * The snapshot after a create: the item as created, and where we sent nothing (null, "") and the
 * remote filled in a value of its own (Redmine's default priority, a custom field's default), what we
 * sent, in `filled`. The hub then takes the remote's value on the next sync, instead of a disagreement
 * neither side would ever write (a Redmine issue cannot have no priority); a hub edit made before that
 * still wins, since the remote's default was no edit.
 */
export function createdSnapshot(rules: EffectiveRules, sent: ItemFields, created: Pick<RemoteView, 'fields' | 'raw'>): RuleSnapshot {
  const snapshot = snapshotOf(rules, created);
  const filled: Record<string, Value> = {};
  const refs = ['description', 'priority', 'assignee', ...Object.keys(created.fields.customFields).map((name) => `customFields.${name}`)];
  for (const ref of refs) {
    if (isUnset(readFields(sent, ref)) && !isUnset(readFields(created.fields, ref))) filled[ref] = readFields(sent, ref);
  }
  return Object.keys(filled).length ? { ...snapshot, filled } : snapshot;
}

const setOnly = (value: Value): Value =>
  (value !== null && typeof value === 'object' && !Array.isArray(value) && !isStatus(value)
    ? Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null && v !== ''))
    : value);

/** The fields of a new remote item created from a hub story: what two_way and to_remote rules send, and why (for the explain log). */
export function decideCreate(given: EffectiveRules, hub: HubView): { fields: ItemFields; warnings: string[]; reasons: FieldReason[] } {
  const lens = scopedLabels(given);
  const decided = createWith(lens?.rules ?? given, hub);
  return lens ? { ...decided, fields: lens.real(decided.fields), reasons: lens.reasons(decided.reasons) } : decided;
}

function createWith(rules: EffectiveRules, hub: HubView): { fields: ItemFields; warnings: string[]; reasons: FieldReason[] } {
  const fields: ItemFields = { ...HUB_DEFAULTS, title: hub.fields.title, status: hub.fields.closed ? 'closed' : 'open', closed: hub.fields.closed };
  const warnings: string[] = [];
  const reasons: FieldReason[] = [];
  for (const rule of rules.fields) {
    if (rule.kind !== 'two_way' && rule.kind !== 'to_remote') continue;
    const h = readHub(hub, rule.hub);
    const mapped = translate(rule, h, 'remote');
    warnings.push(...mapped.unmapped);
    if (!mapped.ok) continue;
    // The whole map sends what is set: an unset field is no news to a new item (and may be another tracker's).
    const value = rule.remote === 'customFields' ? setOnly(mapped.value) : mapped.value;
    writeFields(fields, rule.remote, value, fields.customFields);
    reasons.push(fieldReason(rule, { base: undefined, hub: h, remote: null }, 'remote', mapped.value, OUTCOMES.newItem));
  }
  return { fields, warnings, reasons };
}
