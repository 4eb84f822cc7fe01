import type { ItemFields } from '../connectors/types';
import type { RuleSnapshot } from './values';
import type { FieldReason } from './reasons';
import type { EffectiveRules, FieldRule } from './schema';

/**
 * Scoped labels: a field rule `{remote: 'labels', prefix: 'severity: '}` reads the remote label that
 * starts with the prefix as one value ("severity: High" → "High") and writes a value as that one label,
 * replacing the others with the prefix. A remote without custom fields (GitHub) or with scoped labels
 * of its own (GitLab's `priority::high`) carries a select this way. The `labels` rule then sees only
 * the labels no prefix claims, in both directions.
 *
 * The decisions see each prefix as one more custom field of the remote (a name no tracker's field can
 * have), so three-way merges, snapshots, conflicts and the explain log treat it as any field. This lens
 * turns remote fields into that view and the decisions' patches and snapshots back.
 */
export interface LabelLens {
  /** The rules with each prefix rule reading its own virtual field. */
  rules: EffectiveRules;
  /** Remote fields (or a snapshot's) as the decisions see them: claimed labels as virtual fields. */
  view(fields: ItemFields): ItemFields;
  snapshot(snapshot: RuleSnapshot | null): RuleSnapshot | null;
  /** A patch the decisions made, as the remote takes it: the label list whole, virtual fields gone. */
  patch(patch: Partial<ItemFields>, remote: ItemFields): Partial<ItemFields>;
  /** Remote fields from the decisions' view back to what the remote holds. */
  real(fields: ItemFields): ItemFields;
  realSnapshot(snapshot: RuleSnapshot): RuleSnapshot;
  reasons(reasons: FieldReason[]): FieldReason[];
}

/** The virtual custom field of a prefix: a name with a NUL, which no tracker and no rule can spell. */
const VIRTUAL = '\u0000label:';
const virtualName = (prefix: string) => `${VIRTUAL}${prefix}`;

/** Lenses by rule set: a page of a pull decides every item under the same rules. */
const lenses = new WeakMap<EffectiveRules, LabelLens | null>();

/** The lens for the rules' scoped labels, or null when no rule has a prefix. */
export function scopedLabels(rules: EffectiveRules): LabelLens | null {
  let lens = lenses.get(rules);
  if (lens === undefined) lenses.set(rules, (lens = lensOf(rules)));
  return lens;
}

function lensOf(rules: EffectiveRules): LabelLens | null {
  const scoped = rules.fields.filter((rule): rule is FieldRule & { prefix: string } => rule.remote === 'labels' && rule.prefix !== undefined);
  if (!scoped.length) return null;
  // The longest prefix claims a label first ("area: web: " before "area: ").
  const prefixes = [...new Set(scoped.map((rule) => rule.prefix))].sort((a, b) => b.length - a.length);
  // Case counts, as in GitLab's scoped labels: what is written back is the very label that was read.
  const claimedBy = (label: string) => prefixes.find((p) => label.length > p.length && label.startsWith(p));
  const unclaimed = (labels: readonly string[]) => labels.filter((label) => claimedBy(label) === undefined);
  const claimed = (labels: readonly string[], prefix: string) => labels.filter((label) => claimedBy(label) === prefix).sort();

  const view = (fields: ItemFields): ItemFields => {
    const customFields = { ...fields.customFields };
    for (const prefix of prefixes) customFields[virtualName(prefix)] = claimed(fields.labels, prefix)[0]?.slice(prefix.length) ?? null;
    return { ...fields, labels: unclaimed(fields.labels), customFields };
  };
  /** The labels of `fields` (a view) with each prefix's value back as its label; `keep` holds a prefix's labels as the remote has them. */
  const labelsOf = (free: readonly string[], values: Record<string, string | null | undefined>, keep: readonly string[]) =>
    [...free, ...prefixes.flatMap((p) => (p in values ? (values[p] ? [`${p}${values[p]}`] : []) : claimed(keep, p)))].sort();
  const withoutVirtual = (customFields: Record<string, string | null>) =>
    Object.fromEntries(Object.entries(customFields).filter(([name]) => !name.startsWith(VIRTUAL)));
  const valuesIn = (customFields: Record<string, string | null> | undefined) =>
    Object.fromEntries(prefixes.filter((p) => customFields !== undefined && virtualName(p) in customFields).map((p) => [p, customFields![virtualName(p)]]));

  const real = (fields: ItemFields): ItemFields =>
    ({ ...fields, labels: labelsOf(fields.labels, valuesIn(fields.customFields), []), customFields: withoutVirtual(fields.customFields) });

  const patch = (p: Partial<ItemFields>, remote: ItemFields): Partial<ItemFields> => {
    const values = valuesIn(p.customFields);
    if (p.labels === undefined && !Object.keys(values).length) return p;
    const out: Partial<ItemFields> = { ...p, labels: labelsOf(unclaimed(p.labels ?? remote.labels), values, remote.labels) };
    if (p.customFields) {
      const rest = withoutVirtual(p.customFields);
      if (Object.keys(rest).length) out.customFields = rest;
      else delete out.customFields;
    }
    return out;
  };

  return {
    rules: {
      ...rules,
      fields: rules.fields.map((rule) => (rule.remote === 'labels' && rule.prefix !== undefined ? { ...rule, remote: `customFields.${virtualName(rule.prefix)}` } : rule)),
    },
    view,
    snapshot: (s) => s && {
      ...s,
      fields: view(s.fields),
      ...(s.pending ? { pending: s.pending.labels === undefined ? s.pending : { ...s.pending, ...pendingView(s.pending, view) } } : {}),
    },
    patch,
    real,
    realSnapshot: (s) => ({ ...s, fields: real(s.fields), ...(s.pending ? { pending: patch(s.pending, real(s.fields)) } : {}) }),
    reasons: (reasons) => reasons.map((r) => (r.remoteField.startsWith(`customFields.${VIRTUAL}`)
      ? { ...r, remoteField: `labels (${r.remoteField.slice(`customFields.${VIRTUAL}`.length)}…)` }
      : r)),
  };
}

/** A pending write's labels as the decisions see them: the free labels, and each prefix's value. */
function pendingView(pending: Partial<ItemFields>, view: (fields: ItemFields) => ItemFields): Partial<ItemFields> {
  const seen = view({ title: '', description: '', status: '', closed: false, priority: null, assignee: null, labels: pending.labels ?? [], customFields: {} });
  return { labels: seen.labels, customFields: { ...pending.customFields, ...seen.customFields } };
}
