import { isGenericStatus } from '../connectors/states';
import type { ItemFields, Json } from '../connectors/types';
import { normalize } from '../markup';
import { customFieldName, isConnectorField, type FieldRule } from './schema';

/** A field's value as a rule compares it. Status travels with its closed flag. */
export type Value = string | null | string[] | Record<string, string | null> | StatusValue;
export interface StatusValue { status: string; closed: boolean }

/** The hub side of one story, as the rules read it. */
export interface HubView { fields: ItemFields; id: string; key: string }

const canonical = (v: unknown): string =>
  JSON.stringify(v ?? null, (_k, val: unknown) =>
    val && typeof val === 'object' && !Array.isArray(val)
      ? Object.fromEntries(Object.entries(val as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : val,
  );

/**
 * Structural equality of stored JSON (snapshots, cursors, checkpoints, configuration) regardless of key
 * order, `undefined` equal to null. Field values compare with sameValue instead.
 */
export const sameJson = (a: unknown, b: unknown): boolean => canonical(a) === canonical(b);

const isStatus = (v: unknown): v is StatusValue => typeof v === 'object' && v !== null && !Array.isArray(v) && 'closed' in v;

/**
 * A value with its empty parts dropped: "", [] and {} read as null, and a map (custom fields) loses
 * its unset entries. A Redmine custom field enabled for every project reads back as
 * `{"Supplier ticket": null}` on items the hub holds as `{}`; both mean "nothing there".
 */
export function withoutEmpty(v: unknown): unknown {
  if (v === undefined || v === null || v === '') return null;
  if (Array.isArray(v)) return v.length ? v : null;
  if (typeof v !== 'object' || isStatus(v)) return v;
  const kept = Object.entries(v as Record<string, unknown>).filter(([, x]) => withoutEmpty(x) !== null);
  return kept.length ? Object.fromEntries(kept) : null;
}

/**
 * Equality as a sync sees it: the one comparison of field values. Labels are sets. An unset value and
 * an empty one are equal (see withoutEmpty). A generic status ("open"/"closed", GitHub's only two)
 * matches any status of the same kind, as the Redmine connector resolves it. Given the connector field
 * `ref`, a description compares as markup: a remote may store it in its own format and read it back in
 * hub form (`markup/`), so text we wrote that comes back reformatted is not a remote edit (E1).
 */
export function sameValue(a: Value | undefined, b: Value | undefined, ref?: string): boolean {
  if (ref === 'description' && typeof a === 'string' && typeof b === 'string' && a !== b) return normalize(a) === normalize(b);
  if (isStatus(a) && isStatus(b)) {
    if (a.closed !== b.closed) return false;
    const [x, y] = [a.status.toLowerCase(), b.status.toLowerCase()];
    return x === y || isGenericStatus(x) || isGenericStatus(y);
  }
  if (Array.isArray(a) && Array.isArray(b)) return sameJson([...a].sort(), [...b].sort());
  return sameJson(withoutEmpty(a), withoutEmpty(b));
}

/** "status.name", "custom_fields.3.value" or "/custom_fields/3/value" into a JSON value. */
export function readPath(raw: Json | undefined, path: string): Json | undefined {
  const parts = path.startsWith('/')
    ? path.slice(1).split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    : path.split('.');
  let node: Json | undefined = raw;
  for (const part of parts) {
    if (node === null || typeof node !== 'object') return undefined;
    node = Array.isArray(node) ? node[Number(part)] : node[part];
  }
  return node;
}

/** A remote JSON value as a hub scalar: objects with a name read as their name. */
export function jsonToValue(v: Json | undefined): Value {
  if (v === undefined || v === null || v === '') return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return v.map((x) => (typeof x === 'string' ? x : JSON.stringify(x)));
  if (typeof v.name === 'string') return v.name;
  return JSON.stringify(v);
}

/** Reads a connector field (or custom field) from ItemFields. */
export function readFields(fields: ItemFields, ref: string): Value {
  const custom = customFieldName(ref);
  if (custom !== undefined) return fields.customFields[custom] ?? null;
  if (ref === 'status') return { status: fields.status, closed: fields.closed };
  return fields[ref as keyof ItemFields] as Value;
}

/** The remote value a rule addresses: a connector field from `fields`, anything else by path from `raw`. */
export const readRemote = (rule: Pick<FieldRule, 'remote'>, fields: ItemFields, raw: Json | undefined): Value =>
  isConnectorField(rule.remote) ? readFields(fields, rule.remote) : jsonToValue(readPath(raw, rule.remote));

export function readHub(hub: HubView, field: string): Value {
  if (field === 'id') return hub.id;
  if (field === 'key') return hub.key;
  return readFields(hub.fields, field);
}

/** Whether a hub value counts as unset (for `default` rules). */
export const isUnset = (v: Value): boolean =>
  v === null || v === '' || (Array.isArray(v) && v.length === 0) || (typeof v === 'object' && !Array.isArray(v) && !isStatus(v) && Object.keys(v).length === 0);

/**
 * Writes a value into a partial ItemFields; status carries closed with it. One custom field is merged
 * into `target.customFields`, starting from `customBase` (the hub's full map, or {} for a remote patch).
 */
export function writeFields(target: Partial<ItemFields>, ref: string, value: Value, customBase: Record<string, string | null>): void {
  const custom = customFieldName(ref);
  if (custom !== undefined) {
    target.customFields = { ...(target.customFields ?? customBase), [custom]: typeof value === 'string' ? value : value === null ? null : JSON.stringify(value) };
    return;
  }
  switch (ref) {
    case 'status':
      if (isStatus(value)) {
        target.status = value.status;
        target.closed = value.closed;
      } else if (typeof value === 'string') target.status = value;
      return;
    case 'labels':
      target.labels = Array.isArray(value) ? [...value].sort() : typeof value === 'string' ? [value] : [];
      return;
    case 'customFields':
      target.customFields = value && typeof value === 'object' && !Array.isArray(value) && !isStatus(value) ? (value as Record<string, string | null>) : customBase;
      return;
    case 'title':
    case 'description':
      target[ref] = typeof value === 'string' ? value : value === null ? '' : JSON.stringify(value);
      return;
    case 'priority':
    case 'assignee':
      target[ref] = typeof value === 'string' || value === null ? value : JSON.stringify(value);
      return;
  }
}

export { isStatus };

/** What an external link remembers of the remote as last synced: connector fields, plus the raw paths rules read. */
// A type alias, not an interface, so it fits the jsonb column's Record<string, unknown>.
export type RuleSnapshot = {
  fields: ItemFields;
  paths?: Record<string, Json>;
  /**
   * Written before a push's remote write and cleared with the snapshot after it: if the push dies in
   * between, the next pull or push recognises these values on the remote as our own write (E1).
   */
  pending?: Partial<ItemFields>;
  /**
   * Fields the remote filled in on its own when we created the item (Redmine's default priority), with
   * what we sent (nothing). While the hub still has nothing there, the remote's value counts as a remote
   * change, so the hub takes it; once the hub has a value of its own, the remote's default is no edit.
   */
  filled?: Record<string, Value>;
  /**
   * A pending create's only: when its last attempt started. Adoption searches from there, and a remote
   * whose search lags (Jira) does not take a miss as final until that lag has passed (I1).
   */
  createAttemptedAt?: string;
};
