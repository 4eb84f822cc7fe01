type Schema = { type?: string; properties?: Record<string, Schema>; required?: string[]; anyOf?: Schema[]; enum?: unknown[]; description?: string; default?: unknown; format?: string; minimum?: number; maximum?: number };

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
 * A connector's config or secrets JSON Schema (GET /connectors) as form inputs named `<prefix>.<key>`.
 * Defaults are shown, not filled in, so only what the user types is sent.
 */
export function SchemaFields(props: { schema: Schema; prefix: 'config' | 'secrets'; secret?: boolean; legend: string }) {
  const { fields, alternatives } = fieldsOf(props.schema);
  return (
    <fieldset>
      <legend>{props.legend}</legend>
      {alternatives && <p class="hint">Fill in one of the sets of fields below (the connector accepts either).</p>}
      {fields.map(({ key, schema, required }) => {
        const id = `${props.prefix}-${key}`;
        const name = `${props.prefix}.${key}`;
        const hint = [schema.description, schema.default !== undefined ? `Default: ${String(schema.default)}` : '', required ? '' : 'Optional'].filter(Boolean).join('. ');
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
        } else {
          const type = props.secret ? 'password' : schema.format === 'uri' ? 'url' : 'text';
          input = <input id={id} name={name} type={type} required={required} autocomplete="off" aria-describedby={described} />;
        }
        return (
          <div>
            <label for={id}>{key}{required ? ' (required)' : ''}</label>
            {hint && <p class="hint" id={described}>{hint}</p>}
            {input}
          </div>
        );
      })}
    </fieldset>
  );
}

/** The values the user typed for one schema, typed as the schema says; empty inputs are left out. */
export function valuesFromForm(schema: Schema, form: Record<string, unknown>, prefix: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { key, schema: s } of fieldsOf(schema).fields) {
    const raw = form[`${prefix}.${key}`];
    if (typeof raw !== 'string' || raw === '') continue;
    if (s.type === 'boolean') out[key] = raw === 'on' || raw === 'true';
    else if ((s.type === 'integer' || s.type === 'number') && !Number.isNaN(Number(raw))) out[key] = Number(raw);
    else out[key] = raw;
  }
  return out;
}

export type { Schema as JsonSchema };
