/**
 * Jira's create and edit screens: which fields a project's issue type takes on each, and each field's
 * schema, read from createmeta and editmeta and kept per project and issue type for the session. A
 * write is fitted to its screen: values shaped as each field's type asks, fields off the screen left
 * out with a warning (the rest still goes), and a create missing a required field refused, naming it.
 */
import { z } from 'zod';
import { PermanentError } from '../errors';
import type { HttpClient } from '../http/client';
import type { Json } from '../types';
import { userRef, writeText, type MappingContext } from './mapping';

const fieldMeta = z.looseObject({
  key: z.string().optional(),
  fieldId: z.string().optional(),
  name: z.string(),
  required: z.boolean(),
  hasDefaultValue: z.boolean().optional(),
  schema: z.looseObject({ type: z.string().optional(), items: z.string().optional(), custom: z.string().optional(), system: z.string().optional() }).optional(),
});
export type FieldMeta = z.infer<typeof fieldMeta>;
/** A screen: its fields by id. */
export type Screen = Map<string, FieldMeta>;

const issueTypePage = z.looseObject({ issueTypes: z.array(z.looseObject({ id: z.string(), name: z.string() })).optional(), values: z.array(z.looseObject({ id: z.string(), name: z.string() })).optional(), total: z.number().optional(), isLast: z.boolean().optional() });
const fieldPage = z.looseObject({ fields: z.array(fieldMeta).optional(), values: z.array(fieldMeta).optional(), total: z.number().optional(), isLast: z.boolean().optional() });
const editMeta = z.looseObject({ fields: z.record(z.string(), fieldMeta) });

/** Reads createmeta and editmeta (Cloud REST v3 and Data Center REST v2 page them differently), once per project and issue type. */
export function createScreens(http: HttpClient, api: string) {
  const creates = new Map<string, Promise<Screen>>();
  const edits = new Map<string, Promise<Screen>>();
  const once = (cache: Map<string, Promise<Screen>>, key: string, read: () => Promise<Screen>) => {
    let hit = cache.get(key);
    if (!hit) cache.set(key, (hit = read().catch((error: unknown) => { cache.delete(key); throw error; })));
    return hit;
  };
  async function paged<P extends { total?: number | undefined; isLast?: boolean | undefined }, T>(path: string, shape: z.ZodType<P>, items: (page: P) => T[] | undefined): Promise<T[]> {
    const all: T[] = [];
    for (let startAt = 0; ;) {
      const page = await http.json({ path, query: { startAt, maxResults: 200 } }, shape);
      const got = items(page) ?? [];
      all.push(...got);
      startAt += got.length;
      if (got.length === 0 || page.isLast === true || (page.total !== undefined && startAt >= page.total)) return all;
    }
  }
  return {
    create: (project: string, issueType: string) => once(creates, `${project}/${issueType}`, async () => {
      const base = `${api}/issue/createmeta/${encodeURIComponent(project)}/issuetypes`;
      const types = await paged(base, issueTypePage, (p) => p.issueTypes ?? p.values);
      const type = types.find((t) => t.name.toLowerCase() === issueType.toLowerCase());
      if (!type) throw new PermanentError(`Jira ${project}: no issue type "${issueType}" can be created (offered: ${types.map((t) => t.name).join(', ') || 'none'})`);
      const fields = await paged(`${base}/${encodeURIComponent(type.id)}`, fieldPage, (p) => p.fields ?? p.values);
      return new Map(fields.map((f) => [f.fieldId ?? f.key ?? f.name, f]));
    }),
    /** The edit screen of `issueId`'s project and type (every issue of those shares it). */
    edit: (project: string, issueType: string, issueId: string) => once(edits, `${project}/${issueType}`, async () =>
      new Map(Object.entries((await http.json({ path: `${api}/issue/${encodeURIComponent(issueId)}/editmeta` }, editMeta)).fields))),
  };
}
export type Screens = ReturnType<typeof createScreens>;

const CUSTOM = 'com.atlassian.jira.plugin.system.customfieldtypes:';

/** A hub custom field's text, in the shape its Jira type takes (the reverse of mapping's customValue). */
function shape(m: MappingContext, id: string, meta: FieldMeta | undefined, value: Json): Json {
  if (value === null || typeof value !== 'string' || !meta?.schema?.custom?.startsWith(CUSTOM)) return value;
  const type = meta.schema.custom.slice(CUSTOM.length);
  const bad = (what: string) => new PermanentError(`Jira field ${meta.name} (${id}) takes ${what}, not ${JSON.stringify(value)}`);
  switch (type) {
    case 'select':
    case 'radiobuttons':
      return { value };
    case 'multiselect':
    case 'multicheckboxes':
      return value.split(', ').filter(Boolean).map((v) => ({ value: v }));
    case 'cascadingselect': {
      const [parent = '', child] = value.split(' / ');
      return child === undefined ? { value: parent } : { value: parent, child: { value: child } };
    }
    case 'float': {
      const n = Number(value);
      if (value.trim() === '' || !Number.isFinite(n)) throw bad('a number');
      return n;
    }
    case 'datepicker': {
      const day = value.slice(0, 10);
      if (!/^\d{4}-\d\d-\d\d$/.test(day) || Number.isNaN(Date.parse(day))) throw bad('a date (YYYY-MM-DD)');
      return day;
    }
    case 'userpicker':
      return userRef(m, value);
    case 'textarea':
      return writeText(m, value);
    default:
      return value;
  }
}

/** How a warning names a field: system fields by id (priority), custom fields by name. */
const label = (id: string, meta: FieldMeta | undefined, m: MappingContext) => (id.startsWith('customfield_') ? (meta?.name ?? m.customFields.find((f) => f.id === id)?.name ?? id) : id);

/**
 * `fields` fitted to `screen`: each value shaped by its field's schema, each field the screen lacks left
 * out with a warning. On a create, a required field with no default that nothing fills is a permanent
 * error naming it (a dead letter), since Jira would refuse the whole create.
 */
export function fitToScreen(m: MappingContext, fields: Record<string, Json>, screen: Screen, where: { kind: 'create' | 'edit'; issueType: string; project: string }): { fields: Record<string, Json>; warnings: string[] } {
  const out: Record<string, Json> = {};
  const warnings: string[] = [];
  for (const [id, value] of Object.entries(fields)) {
    const meta = screen.get(id);
    if (!meta && id !== 'project' && id !== 'issuetype') warnings.push(`${label(id, meta, m)} is not on the ${where.kind} screen of ${where.issueType} in ${where.project}`);
    else out[id] = shape(m, id, meta, value);
  }
  if (where.kind === 'create') {
    const missing = [...screen.entries()].filter(([id, f]) => f.required && f.hasDefaultValue !== true && id !== 'project' && id !== 'issuetype' && (out[id] === undefined || out[id] === null));
    if (missing.length) {
      throw new PermanentError(`Jira ${where.project}: the create screen of ${where.issueType} requires ${missing.map(([id, f]) => (f.name !== id ? `${f.name} (${id})` : id)).join(', ')}, which this create does not fill`);
    }
  }
  return { fields: out, warnings };
}
