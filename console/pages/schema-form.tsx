type Schema = { type?: string; title?: string; properties?: Record<string, Schema>; required?: string[]; anyOf?: Schema[]; enum?: unknown[]; description?: string; default?: unknown; format?: string; minimum?: number; maximum?: number };

interface Field { key: string; schema: Schema; required: boolean }

/** The fields of an object schema; for `anyOf` (e.g. Jira's two kinds of credentials), the fields of every branch, each optional. */
function fieldsOf(schema: Schema): { fields: Field[]; alternatives: boolean } {
  if (schema.anyOf) {
    const fields = new Map<string, Field>();
    for (const branch of schema.anyOf) for (const f of fieldsOf(branch).fields) if (!fields.has(f.key)) fields.set(f.key, { ...f, required: false });
    return { fields: [...fields.values()], alternatives: true };
  }
  const required = new Set(schema.required ?? []);
  return { fields: Object.entries(schema.properties ?? {}).map(([key, s]) => ({ key, schema: s, required: required.has(key) })), alternatives: false };
}

/**
 * An object's JSON Schema (a connector's config or secrets from GET /connectors, an action's params
 * from /openapi.json) as form inputs named `<prefix>.<key>`, labelled by each field's `title` and
 * explained by its `description`. Defaults are shown, not filled in, so only what the user types is sent.
 */
export function SchemaFields(props: { schema: Schema; prefix: string; idPrefix?: string; secret?: boolean; legend: string }) {
  const { fields, alternatives } = fieldsOf(props.schema);
  return (
    <fieldset>
      <legend>{props.legend}</legend>
      {alternatives && <p class="hint">Fill in one of the sets of fields below (the connector accepts either).</p>}
      {fields.some((f) => f.required) && <p class="hint">Fields marked * are required.</p>}
      {fields.map(({ key, schema, required }) => {
        const id = `${props.idPrefix ?? props.prefix}-${key}`;
        const name = `${props.prefix}.${key}`;
        const hint = [sentence(schema.description), schema.default !== undefined ? `Default: ${String(schema.default)}.` : '', required ? '' : 'Optional.'].filter(Boolean).join(' ');
        const described = hint ? `${id}-hint` : undefined;
        let input;
        if (schema.enum) {
          input = (
            <select id={id} name={name} required={required} aria-describedby={described} class="wide">
              {!required && <option value="">(default)</option>}
              {schema.enum.map((v) => <option value={String(v)}>{String(v)}</option>)}
            </select>
          );
        } else if (schema.type === 'boolean') {
          input = <input id={id} name={name} type="checkbox" aria-describedby={described} />;
        } else if (schema.type === 'integer' || schema.type === 'number') {
          input = <input id={id} name={name} type="number" step={schema.type === 'integer' ? '1' : 'any'} min={schema.minimum} max={schema.maximum} required={required} aria-describedby={described} />;
        } else if (schema.type === 'object' || schema.type === 'array') {
          input = <textarea id={id} name={name} rows={3} required={required} aria-describedby={described} placeholder={schema.type === 'array' ? '[ … ] (JSON)' : '{ … } (JSON)'}></textarea>;
        } else {
          const type = props.secret ? 'password' : schema.format === 'uri' ? 'url' : 'text';
          input = <input id={id} name={name} type={type} required={required} autocomplete="off" aria-describedby={described} />;
        }
        return (
          <div>
            {/* `required` on the input is what assistive technology announces; the mark is for the eye only. */}
            <label for={id}>{schema.title ?? humanize(key)}{required && <span class="required" aria-hidden="true"> *</span>}</label>
            {hint && <p class="hint" id={described}>{hint}</p>}
            {input}
          </div>
        );
      })}
    </fieldset>
  );
}

/** A field name as words, for a schema that gives no title: `overlapSeconds` → "Overlap seconds". */
export function humanize(key: string): string {
  const words = key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/[_-]+/g, ' ').toLowerCase().trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

const sentence = (text: string | undefined) => (!text ? '' : /[.!?]$/.test(text) ? text : `${text}.`);

/** The values the user typed for one schema, typed as the schema says; empty inputs are left out. */
export function valuesFromForm(schema: Schema, form: Record<string, unknown>, prefix: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { key, schema: s } of fieldsOf(schema).fields) {
    const raw = form[`${prefix}.${key}`];
    if (typeof raw !== 'string' || raw === '') continue;
    if (s.type === 'boolean') out[key] = raw === 'on' || raw === 'true';
    else if ((s.type === 'integer' || s.type === 'number') && !Number.isNaN(Number(raw))) out[key] = Number(raw);
    else if (s.type === 'object' || s.type === 'array') out[key] = parsedOr(raw);
    else out[key] = raw;
  }
  return out;
}

/** JSON typed into a field; text that does not parse goes as it is, for the API to refuse by name. */
function parsedOr(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

export type { Schema as JsonSchema };
