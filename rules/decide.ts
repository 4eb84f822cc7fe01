import type { ItemFields, Json } from '../connectors/types';
import { isGenericStatus } from '../connectors/states';
import { translate } from './maps';
import { fieldMessages } from './messages';
import { fieldReason, OUTCOMES, settled, type FieldReason } from './reasons';
import { scopedLabels } from './scoped-labels';
import { customFieldName, isConnectorField, type EffectiveRules, type FieldRule } from './schema';
import { isStatus, isUnset, jsonToValue, readFields, readHub, readPath, readRemote, sameValue, writeFields, type HubView, type RuleSnapshot, type Value } from './values';

export type { RuleSnapshot };

export interface RemoteView { fields: ItemFields; raw: Json; updatedAt: string; commentCount?: number | undefined }

export interface PullInput {
  /** null: the remote item is new and a hub story will be created from it. */
  hub: HubView | null;
  remote: RemoteView;
  snapshot: RuleSnapshot | null;
  hubUpdatedAt?: string | undefined;
}

export interface PullDecision {
  /** Hub fields to set (status with closed). */
  set: Partial<ItemFields>;
  /** New hub comments (message_from_field, default_message). */
  messages: string[];
  /** Values no map translates; reported in the binding's status. */
  warnings: string[];
  snapshot: RuleSnapshot;
  /** Why each field in `set` is set, and each conflict the hub wins (target `none`): the explain log's entries. */
  reasons: FieldReason[];
}

export interface PushInput {
  hub: HubView;
  /** The remote item as read right before the write. */
  remote: RemoteView;
  snapshot: RuleSnapshot | null;
  hubUpdatedAt: string;
}

export interface PushDecision {
  /** Remote fields to write; empty means no write. */
  patch: Partial<ItemFields>;
  /**
   * Hub fields the remote wins (changed there only, or on both sides under its policy): the push takes
   * them into the hub right away, so a remote that changes back before the next pull cannot strand the hub's value.
   */
  hubSet: Partial<ItemFields>;
  warnings: string[];
  /** Why each field of `patch` (target `remote`) and of `hubSet` (target `hub`) is written. */
  reasons: FieldReason[];
  /**
   * The snapshot to store once `patch` is written, given the item the remote returned: fields the remote
   * changed and the hub has not taken yet keep their old snapshot value, so the next pull still sees them.
   */
  nextSnapshot(written: RemoteView, hubApplied: boolean): RuleSnapshot;
  /** The snapshot to store before writing `patch` (see RuleSnapshot.pending); pending values of an earlier interrupted push are kept. */
  writeAhead: RuleSnapshot;
}

export const HUB_DEFAULTS: ItemFields = { title: '', description: '', status: 'open', closed: false, priority: null, assignee: null, labels: [], customFields: {} };

/** The snapshot's fields as the hub sees them: a remote default counts as unsynced while the hub has nothing there. */
function syncedFields(snapshot: RuleSnapshot, hub: ItemFields | undefined): ItemFields {
  if (!snapshot.filled || !hub) return snapshot.fields;
  const fields = { ...snapshot.fields, customFields: { ...snapshot.fields.customFields } };
  for (const [ref, sent] of Object.entries(snapshot.filled)) if (isUnset(readFields(hub, ref))) writeFields(fields, ref, sent, fields.customFields);
  return fields;
}

/** The remote defaults the next snapshot still has to remember: those the hub has not taken a value for. */
function stillFilled(snapshot: RuleSnapshot | null, hubAfter: ItemFields): Pick<RuleSnapshot, 'filled'> {
  const left = Object.entries(snapshot?.filled ?? {}).filter(([ref]) => isUnset(readFields(hubAfter, ref)));
  return left.length ? { filled: Object.fromEntries(left) } : {};
}

/** The remote value as last synced; a value an interrupted push was writing counts as synced. */
function snapshotValue(rule: Pick<FieldRule, 'remote'>, snapshot: RuleSnapshot | null, remote: Value | undefined, hub: ItemFields | undefined): Value | undefined {
  if (!snapshot) return undefined;
  if (isConnectorField(rule.remote)) {
    const fields = syncedFields(snapshot, hub);
    const ours = snapshot.pending ? readFields({ ...fields, ...snapshot.pending }, rule.remote) : undefined;
    return ours !== undefined && remote !== undefined && sameValue(ours, remote) ? remote : readFields(fields, rule.remote);
  }
  const paths = snapshot.paths ?? {};
  return rule.remote in paths ? jsonToValue(paths[rule.remote]) : undefined;
}

/**
 * The hub still holds what the snapshot says, in either direction of the map. A specific hub status
 * ("In Progress") matches a generic snapshot ("open") only on a remote that has nothing but generic
 * statuses (its current value is generic too, as on GitHub).
 */
function hubMatchesSnapshot(rule: FieldRule, hub: Value, snap: Value | undefined, remote: Value): boolean {
  if (snap === undefined) return false;
  const same = (h: Value, s: Value) =>
    isStatus(h) && isStatus(s) && isStatus(remote) && !isGenericStatus(h.status) && !isGenericStatus(remote.status)
      ? h.closed === s.closed && h.status.toLowerCase() === s.status.toLowerCase()
      : sameValue(h, s);
  const asHub = translate(rule, snap, 'hub');
  if (asHub.ok && same(hub, asHub.value)) return true;
  const asRemote = translate(rule, hub, 'remote');
  if (asRemote.ok) return same(asRemote.value, snap);
  return !asHub.ok && same(hub, snap);
}

/** The hub already holds `value`: a specific remote status replaces a generic hub one ("open" → "In Progress"). */
const holds = (hub: Value, value: Value): boolean =>
  isStatus(value) && isStatus(hub) && !isGenericStatus(value.status) ? hub.closed === value.closed && hub.status.toLowerCase() === value.status.toLowerCase() : sameValue(hub, value);

/** Who wins a field changed on both sides. Ties go to the remote, as in trackersync. */
function winner(rule: FieldRule, hubUpdatedAt: string | undefined, remoteUpdatedAt: string): 'hub' | 'remote' {
  switch (rule.policy ?? 'remote_wins') {
    case 'hub_wins': return 'hub';
    case 'remote_wins': return 'remote';
    case 'newest_wins': return hubUpdatedAt !== undefined && Date.parse(hubUpdatedAt) > Date.parse(remoteUpdatedAt) ? 'hub' : 'remote';
  }
}

/** Raw paths the rules read, with their current values: stored in the snapshot so their changes can be told. */
function pathValues(rules: EffectiveRules, raw: Json): Record<string, Json> | undefined {
  const refs = [...rules.fields.map((r) => r.remote), ...rules.messageFromField.map((m) => m.remote)].filter((r) => !isConnectorField(r));
  if (!refs.length) return undefined;
  return Object.fromEntries(refs.map((ref) => [ref, readPath(raw, ref) ?? null]));
}

function withKept(fields: ItemFields, kept: Map<string, Value | undefined>, old: RuleSnapshot | null): ItemFields {
  if (!old || !kept.size) return fields;
  const out: Partial<ItemFields> = {};
  for (const ref of kept.keys()) writeFields(out, ref, readFields(old.fields, ref), fields.customFields);
  return { ...fields, ...out };
}

/**
 * The whole-map rule (`customFields` ↔ `customFields`) as one rule per custom field the remote item
 * has. A project bound to several trackers keeps every tracker's custom fields in one hub map: each
 * binding reads and writes its own remote's by name, and leaves the others' alone (docs/rules.md).
 */
export function perCustomField(rules: EffectiveRules, remote: Record<string, unknown>): EffectiveRules {
  const whole = rules.fields.findIndex((rule) => rule.hub === 'customFields' && rule.remote === 'customFields');
  if (whole < 0) return rules;
  const named = new Set(rules.fields.map((rule) => rule.hub));
  const each = Object.keys(remote)
    .filter((name) => !named.has(`customFields.${name}`))
    .map((name) => ({ ...rules.fields[whole]!, hub: `customFields.${name}`, remote: `customFields.${name}` }));
  return { ...rules, fields: [...rules.fields.slice(0, whole), ...each, ...rules.fields.slice(whole + 1)] };
}

/** The snapshot of a remote item as it is: its fields and the raw paths the rules read. */
export function snapshotOf(rules: EffectiveRules, remote: Pick<RemoteView, 'fields' | 'raw'>): RuleSnapshot {
  const paths = pathValues(rules, remote.raw);
  return { fields: remote.fields, ...(paths ? { paths } : {}) };
}

/**
 * The pull side: which hub fields a remote item sets. `two_way` decides three-way against the snapshot;
 * `one_way` mirrors the remote; `default` fills an unset hub value; `to_remote` never touches the hub.
 */
export function decidePull(given: EffectiveRules, input: PullInput): PullDecision {
  const rules = perCustomField(given, input.remote.fields.customFields);
  const lens = scopedLabels(rules);
  if (!lens) return pullWith(rules, input);
  const decided = pullWith(lens.rules, { ...input, remote: { ...input.remote, fields: lens.view(input.remote.fields) }, snapshot: lens.snapshot(input.snapshot) });
  return { ...decided, snapshot: lens.realSnapshot(decided.snapshot), reasons: lens.reasons(decided.reasons) };
}

function pullWith(rules: EffectiveRules, input: PullInput): PullDecision {
  const { hub, remote, snapshot } = input;
  const base = hub?.fields ?? HUB_DEFAULTS;
  const set: Partial<ItemFields> = {};
  const warnings: string[] = [];
  const kept = new Map<string, Value | undefined>();
  const reasons: FieldReason[] = [];
  for (const rule of rules.fields) {
    if (rule.kind === 'to_remote') continue;
    const r = readRemote(rule, remote.fields, remote.raw);
    const h = hub ? readHub(hub, rule.hub) : null;
    const s = hub ? snapshotValue(rule, snapshot, r, hub.fields) : undefined;
    let target: Value;
    let literal = false;
    let outcome: string = !hub ? OUTCOMES.newStory : rule.kind === 'one_way' ? OUTCOMES.mirrored : OUTCOMES.remoteChanged;
    let conflict = false;
    if (rule.kind === 'default') {
      if (hub && !isUnset(h)) continue;
      literal = isUnset(r) && rule.default !== undefined;
      target = literal ? (rule.default ?? null) : r;
      if (hub) outcome = literal ? OUTCOMES.literal : OUTCOMES.defaulted;
    } else if (rule.kind === 'two_way' && hub) {
      if (s !== undefined && sameValue(r, s)) continue;
      if (!hubMatchesSnapshot(rule, h, s, r)) {
        const wins = winner(rule, input.hubUpdatedAt, remote.updatedAt);
        [outcome, conflict] = [settled(rule, wins, s !== undefined), s !== undefined];
        // Changed on both sides and the hub wins: the push writes the hub value; the snapshot takes the remote's.
        if (wins === 'hub') {
          const asHub = translate(rule, r, 'hub');
          if (!asHub.ok || !holds(h, asHub.value)) reasons.push(fieldReason(rule, { base: s, hub: h, remote: r }, 'none', null, `${outcome}: the hub keeps its value`, conflict));
          continue;
        }
      }
      target = r;
    } else {
      target = r;
    }
    const mapped = literal ? { ok: true as const, value: target, unmapped: [] } : translate(rule, target, 'hub');
    warnings.push(...mapped.unmapped);
    if (!mapped.ok) {
      if (isConnectorField(rule.remote)) kept.set(rule.remote, undefined);
      continue;
    }
    if (hub && holds(h, mapped.value)) continue;
    writeFields(set, rule.hub, mapped.value, base.customFields);
    reasons.push(fieldReason(rule, { base: s, hub: h, remote: r }, 'hub', mapped.value, outcome, conflict));
  }
  const messages = fieldMessages(rules, remote, snapshot);
  if (!hub && !messages.length && !remote.commentCount && rules.defaultMessage) messages.push(rules.defaultMessage);
  const next = snapshotOf(rules, remote);
  return { set, messages, warnings, reasons, snapshot: { ...next, fields: withKept(next.fields, kept, snapshot), ...stillFilled(snapshot, { ...base, ...set }) } };
}

/** The push side: which remote fields to write, decided against the remote as read right now. */
export function decidePush(given: EffectiveRules, input: PushInput): PushDecision {
  const rules = perCustomField(given, input.remote.fields.customFields);
  const lens = scopedLabels(rules);
  if (!lens) return pushWith(rules, input);
  const decided = pushWith(lens.rules, { ...input, remote: { ...input.remote, fields: lens.view(input.remote.fields) }, snapshot: lens.snapshot(input.snapshot) });
  return {
    ...decided,
    patch: lens.patch(decided.patch, input.remote.fields),
    reasons: lens.reasons(decided.reasons),
    writeAhead: lens.realSnapshot(decided.writeAhead),
    nextSnapshot: (written, hubApplied) => lens.realSnapshot(decided.nextSnapshot({ ...written, fields: lens.view(written.fields) }, hubApplied)),
  };
}

function pushWith(rules: EffectiveRules, input: PushInput): PushDecision {
  const { hub, remote, snapshot } = input;
  const patch: Partial<ItemFields> = {};
  const warnings: string[] = [];
  const hubSet: Partial<ItemFields> = {};
  const kept = new Map<string, Value | undefined>();
  const pulled = new Map<string, Value | undefined>();
  const reasons: FieldReason[] = [];
  for (const rule of rules.fields) {
    if (rule.kind !== 'two_way' && rule.kind !== 'to_remote') continue;
    const r = readRemote(rule, remote.fields, remote.raw);
    const h = readHub(hub, rule.hub);
    const mapped = translate(rule, h, 'remote');
    // Already in sync (whoever changed what): nothing to write, and the snapshot takes the remote value.
    if (mapped.ok && sameValue(mapped.value, r, rule.remote)) continue;
    const s = snapshotValue(rule, snapshot, r, hub.fields);
    let outcome: string = rule.kind === 'to_remote' ? OUTCOMES.toRemote : OUTCOMES.hubChanged;
    let conflict = false;
    if (rule.kind === 'two_way') {
      const remoteChanged = s === undefined || !sameValue(r, s);
      const hubChanged = !hubMatchesSnapshot(rule, h, s, r);
      // A remote change the hub has not taken yet must survive this write for the next pull to see.
      if (remoteChanged && (!hubChanged || winner(rule, input.hubUpdatedAt, remote.updatedAt) === 'remote')) {
        const toHub = translate(rule, r, 'hub');
        warnings.push(...toHub.unmapped);
        const takes = toHub.ok && !holds(h, toHub.value);
        if (takes) {
          writeFields(hubSet, rule.hub, toHub.value, hub.fields.customFields);
          const why = hubChanged ? settled(rule, 'remote', s !== undefined) : OUTCOMES.remoteChanged;
          reasons.push(fieldReason(rule, { base: s, hub: h, remote: r }, 'hub', toHub.value, why, hubChanged && s !== undefined));
        }
        // Unless the hub takes (or holds) the value now, the snapshot keeps the old one so the next pull still sees the change.
        if (s !== undefined && !toHub.ok) kept.set(rule.remote, s);
        else if (s !== undefined && takes) pulled.set(rule.remote, s);
        continue;
      }
      if (!hubChanged) continue;
      if (remoteChanged) [outcome, conflict] = [settled(rule, 'hub', s !== undefined), s !== undefined];
    }
    warnings.push(...mapped.unmapped);
    if (!mapped.ok) continue;
    writeFields(patch, rule.remote, mapped.value, {});
    reasons.push(fieldReason(rule, { base: s, hub: h, remote: r }, 'remote', mapped.value, outcome, conflict));
  }
  return {
    patch,
    warnings,
    reasons,
    writeAhead: writeAheadOf(rules, snapshot, remote.fields, patch),
    hubSet,
    nextSnapshot: (written, hubApplied) => {
      const next = snapshotOf(rules, { fields: afterWrite(rules, remote.fields, patch, written.fields), raw: remote.raw });
      const hubAfter = hubApplied ? { ...hub.fields, ...hubSet } : hub.fields;
      return { ...next, fields: withKept(next.fields, hubApplied ? kept : new Map([...kept, ...pulled]), snapshot), ...stillFilled(snapshot, hubAfter) };
    },
  };
}

/**
 * The snapshot to store before writing `patch`. A value an earlier interrupted push was writing that
 * the remote now shows (it landed) becomes the synced value first: this push's pending values replace
 * the old ones, and a landed value they hid would read as someone else's edit if this push dies too.
 */
function writeAheadOf(rules: EffectiveRules, snapshot: RuleSnapshot | null, remote: ItemFields, patch: Partial<ItemFields>): RuleSnapshot {
  if (!snapshot) return { fields: remote, pending: { ...patch } };
  const { pending } = snapshot;
  if (!pending) return { ...snapshot, pending: { ...patch } };
  const fields = { ...snapshot.fields, customFields: { ...snapshot.fields.customFields } };
  const sent = { ...snapshot.fields, ...pending };
  for (const rule of rules.fields) {
    if (!isConnectorField(rule.remote) || !writes(pending, rule.remote)) continue;
    const [ours, theirs] = [readFields(sent, rule.remote), readFields(remote, rule.remote)];
    if (ours !== undefined && theirs !== undefined && sameValue(ours, theirs, rule.remote)) writeFields(fields, rule.remote, theirs, fields.customFields);
  }
  return { ...snapshot, fields, pending: { ...pending, ...patch } };
}

/** Whether a patch writes the connector field `ref`. */
function writes(patch: Partial<ItemFields>, ref: string): boolean {
  const custom = customFieldName(ref);
  if (custom !== undefined) return patch.customFields !== undefined && custom in patch.customFields;
  if (ref === 'status') return patch.status !== undefined || patch.closed !== undefined;
  return ref in patch;
}

/**
 * The remote as synced after a write: the item as read before it, with the fields we wrote. A field we
 * wrote takes the remote's echo of it when that is the same value (its spelling: "Closed" for
 * "closed"), but not a different one: someone may have edited it between our write and the remote's
 * answer (Redmine's answer is a second read), and that edit must stay visible to the next pull.
 */
function afterWrite(rules: EffectiveRules, before: ItemFields, patch: Partial<ItemFields>, echoed: ItemFields): ItemFields {
  const fields: ItemFields = { ...before, labels: [...before.labels], customFields: { ...before.customFields } };
  for (const rule of rules.fields) {
    if (!isConnectorField(rule.remote) || !writes(patch, rule.remote)) continue;
    const ours = readFields({ ...before, ...patch, customFields: { ...before.customFields, ...patch.customFields } }, rule.remote);
    const theirs = readFields(echoed, rule.remote);
    writeFields(fields, rule.remote, sameValue(ours, theirs, rule.remote) ? theirs : ours, fields.customFields);
  }
  return fields;
}
