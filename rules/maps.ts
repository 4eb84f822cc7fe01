import type { FieldRule } from './schema';
import { isStatus, type Value } from './values';

export type Direction = 'hub' | 'remote';

/** A translated value, or the reason it could not be translated. */
export type Mapped = { ok: true; value: Value; unmapped: string[] } | { ok: false; unmapped: string[] };

/**
 * Translates a value toward `to` through the rule's value map: strings one to one, labels element-wise,
 * a status by its name (its closed flag travels unchanged). With no map, values pass as they are.
 * No entry and no fallback: the value is not translated (a label is left out) and is reported.
 */
export function translate(rule: Pick<FieldRule, 'map' | 'fallback' | 'hub'>, value: Value, to: Direction): Mapped {
  if (!rule.map?.length || value === null) return { ok: true, value, unmapped: [] };
  const from: Direction = to === 'hub' ? 'remote' : 'hub';
  const one = (v: string): { hit: boolean; value: string | null } => {
    const entry = rule.map!.find((m) => m[from] === v) ?? rule.map!.find((m) => m[from].toLowerCase() === v.toLowerCase());
    if (entry) return { hit: true, value: entry[to] };
    const fallback = rule.fallback?.[to];
    return fallback !== undefined ? { hit: true, value: fallback } : { hit: false, value: null };
  };
  const report = (v: string) => `${rule.hub}: no ${to} value for ${JSON.stringify(v)}`;
  if (typeof value === 'string') {
    const r = one(value);
    return r.hit ? { ok: true, value: r.value, unmapped: [] } : { ok: false, unmapped: [report(value)] };
  }
  if (Array.isArray(value)) {
    const out: string[] = [];
    const unmapped: string[] = [];
    for (const v of value) {
      const r = one(v);
      if (!r.hit) unmapped.push(report(v));
      else if (r.value !== null) out.push(r.value);
    }
    return { ok: true, value: [...new Set(out)].sort(), unmapped };
  }
  if (isStatus(value)) {
    const r = one(value.status);
    return r.hit && r.value !== null ? { ok: true, value: { status: r.value, closed: value.closed }, unmapped: [] } : { ok: false, unmapped: [report(value.status)] };
  }
  return { ok: true, value, unmapped: [] };
}
