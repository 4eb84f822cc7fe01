/**
 * Custom field types and screens, as Jira has them: each custom field has a type whose value takes its
 * own shape on a write (an option by `{value}` or `{id}`, a number, a `YYYY-MM-DD` date, a user by
 * accountId or name, ADF on v3 for a multi-line text), and each project's issue type has a create and
 * an edit screen: a field not on the screen cannot be set, and the create screen's required fields must be.
 */
import type { CustomFieldRecord, FieldOption } from './store';

export type CustomFieldType = 'text' | 'textarea' | 'select' | 'multiselect' | 'number' | 'date' | 'user' | 'cascading';

const PLUGIN = 'com.atlassian.jira.plugin.system.customfieldtypes:';
/** The `schema` GET /field, createmeta and editmeta give each type. */
export function customSchema(f: CustomFieldRecord) {
  const customId = Number(f.id.slice('customfield_'.length));
  const by: Record<CustomFieldType, { type: string; items?: string; custom: string }> = {
    text: { type: 'string', custom: `${PLUGIN}textfield` },
    textarea: { type: 'string', custom: `${PLUGIN}textarea` },
    select: { type: 'option', custom: `${PLUGIN}select` },
    multiselect: { type: 'array', items: 'option', custom: `${PLUGIN}multiselect` },
    number: { type: 'number', custom: `${PLUGIN}float` },
    date: { type: 'date', custom: `${PLUGIN}datepicker` },
    user: { type: 'user', custom: `${PLUGIN}userpicker` },
    cascading: { type: 'option-with-child', custom: `${PLUGIN}cascadingselect` },
  };
  return { ...by[f.type], customId };
}

export const SYSTEM_SCHEMAS: Record<string, { name: string; schema: Record<string, string> }> = {
  summary: { name: 'Summary', schema: { type: 'string', system: 'summary' } },
  description: { name: 'Description', schema: { type: 'string', system: 'description' } },
  priority: { name: 'Priority', schema: { type: 'priority', system: 'priority' } },
  assignee: { name: 'Assignee', schema: { type: 'user', system: 'assignee' } },
  labels: { name: 'Labels', schema: { type: 'array', items: 'string', system: 'labels' } },
};

/** One issue type's screens in one project: what is left off each, and what the create screen requires. */
export interface Screen { notOnCreate: Set<string>; notOnEdit: Set<string>; required: Set<string> }

export function createScreens() {
  const screens = new Map<string, Screen>();
  const of = (project: string, issueType: string): Screen => {
    const key = `${project}/${issueType}`;
    let screen = screens.get(key);
    if (!screen) screens.set(key, (screen = { notOnCreate: new Set(), notOnEdit: new Set(), required: new Set() }));
    return screen;
  };
  return { of };
}
export type Screens = ReturnType<typeof createScreens>;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** An option given as `{value}` or `{id}`, among `options`; the error is Jira's. */
function readOption(options: FieldOption[], v: unknown, name: string): FieldOption | { error: string } {
  if (!isObject(v) || (v.value === undefined && v.id === undefined)) return { error: `Specify a valid 'id' or 'name' for ${name}` };
  const found = options.find((o) => (v.id !== undefined ? o.id === String(v.id) : o.value === v.value));
  if (found) return found;
  return { error: v.id !== undefined ? `Option id '${String(v.id)}' is not valid` : `Option value '${String(v.value)}' is not valid` };
}

const stored = (o: FieldOption) => ({ id: o.id, value: o.value });

/**
 * A custom field's value as the write gives it, checked as Jira checks it; what the store keeps is what
 * a read answers (options as `{id, value}`, a user as its record, rich text as given).
 */
export function readCustom(f: CustomFieldRecord, value: unknown, readUser: (v: unknown) => unknown, readText: (v: unknown) => unknown): { value: unknown } | { error: string } {
  if (value === null) return { value: null }; // clears the field, whatever its type
  const options = f.options ?? [];
  switch (f.type) {
    case 'text':
      if (typeof value !== 'string') return { error: 'Operation value must be a string' };
      return value.length > 255 ? { error: `${f.name} must be less than 255 characters.` } : { value };
    case 'textarea': {
      const text = readText(value);
      return isObject(text) && 'error' in text ? { error: String(text.error) } : { value: text };
    }
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? { value } : { error: 'Operation value must be a number' };
    case 'date':
      return typeof value === 'string' && /^\d{4}-\d\d-\d\d$/.test(value) && !Number.isNaN(Date.parse(value)) ? { value } : { error: `Error parsing date string: ${String(value)}` };
    case 'user': {
      const user = readUser(value);
      return isObject(user) && 'error' in user ? { error: String(user.error) } : { value: user };
    }
    case 'select': {
      const o = readOption(options, value, f.name);
      return 'error' in o ? o : { value: stored(o) };
    }
    case 'multiselect': {
      if (!Array.isArray(value)) return { error: 'data was not an array' };
      const picked = value.map((v) => readOption(options, v, f.name));
      const bad = picked.find((o): o is { error: string } => 'error' in o);
      return bad ?? { value: (picked as FieldOption[]).map(stored) };
    }
    case 'cascading': {
      const parent = readOption(options, value, f.name);
      if ('error' in parent) return parent;
      const child = (value as Record<string, unknown>).child;
      if (child === undefined || child === null) return { value: stored(parent) };
      const c = readOption(parent.children ?? [], child, f.name);
      if ('error' in c) return { error: `${c.error} for parent option '${parent.value}'` };
      return { value: { ...stored(parent), child: stored(c) } };
    }
  }
}
