import { type JsonObject, type JsonValue, type RemoteMetadataView, isJsonObject } from '../api-types';
import { type ApiCall, describeError, isMissingRoute } from '../client';
import type { ConsoleContext } from '../context';
import { WriteForm } from '../layout';

/** One field rule as GET /bindings/{id}/rules answers it (its rule sets have no schema in the API: `rules` and `effective` are plain JSON). */
type FieldRuleJson = JsonObject;
type MapPair = { hub: string; remote: string };

const KINDS = ['two_way', 'one_way', 'default', 'to_remote'] as const;
const POLICIES = ['remote_wins', 'hub_wins', 'newest_wins'] as const;
/** Blank map rows offered under each mappable field. */
const SPARE_ROWS = 2;

/** The remote's values a map's remote side picks from, by hub field; absent when the API has no metadata route or the remote did not answer. */
export type RemoteChoices = Partial<Record<'status' | 'priority' | 'assignee' | 'labels', { value: string; label: string }[]>>;

/** GET /connections/{id}/metadata?scope=… as drop-down choices, or why there are none. */
export async function remoteChoices(call: ApiCall, connectionId: string, scope: string): Promise<{ choices: RemoteChoices; unavailable?: string }> {
  const answer = await call<RemoteMetadataView>('GET', `/connections/${connectionId}/metadata?scope=${encodeURIComponent(scope)}`);
  if (!answer.ok) {
    const why = isMissingRoute(answer) ? 'this server cannot list the remote\'s values'
      : answer.status === 501 ? 'this connector cannot list the remote\'s values' : `the remote's values could not be listed (${describeError(answer)})`;
    return { choices: {}, unavailable: why };
  }
  const m = answer.body;
  const names = <T extends { name: string }>(list: T[], label: (v: T) => string = (v) => v.name) => list.map((v) => ({ value: v.name, label: label(v) }));
  return {
    choices: {
      status: names(m.statuses, (v) => `${v.name} (${v.closed ? 'closed' : 'open'})`),
      priority: names(m.priorities),
      assignee: names(m.users, (v) => (v.displayName && v.displayName !== v.name ? `${v.displayName} (${v.name})` : v.name)),
      labels: names(m.labels),
    },
  };
}

/** The field rules of a rule set (the `effective` of GET /bindings/{id}/rules): its `fields` that are objects. */
export function fieldRules(rules: unknown): FieldRuleJson[] {
  const fields = isJsonObject(rules) ? rules.fields : undefined;
  return Array.isArray(fields) ? fields.filter(isJsonObject) : [];
}

const mapPairs = (map: JsonValue | undefined): MapPair[] =>
  Array.isArray(map) ? map.filter((p): p is MapPair => isJsonObject(p) && typeof p.hub === 'string' && typeof p.remote === 'string') : [];

const mappable = (hub: string): hub is keyof RemoteChoices => hub === 'status' || hub === 'priority' || hub === 'assignee' || hub === 'labels';

function RemoteValue(props: { id: string; name: string; value: string; choices: { value: string; label: string }[] | undefined; label: string }) {
  if (!props.choices?.length) return <input id={props.id} name={props.name} type="text" value={props.value} aria-label={props.label} />;
  const known = props.choices.some((c) => c.value === props.value);
  return (
    <select id={props.id} name={props.name} aria-label={props.label}>
      <option value="">(none)</option>
      {!known && props.value && <option value={props.value} selected>{props.value} (not on the remote)</option>}
      {props.choices.map((c) => <option value={c.value} selected={c.value === props.value}>{c.label}</option>)}
    </select>
  );
}

/**
 * The field table: each rule's remote field, kind and policy, and for status, priority, assignee and
 * labels a value map whose remote side is a drop-down of the remote's real values.
 */
export function RulesForm(props: { c: ConsoleContext; action: string; fields: FieldRuleJson[]; choices: RemoteChoices; unavailable?: string | undefined; submitLabel: string; next?: string }) {
  return (
    <WriteForm c={props.c} action={props.action} label={props.submitLabel}>
      {props.next && <input type="hidden" name="next" value={props.next} />}
      {props.unavailable && <p class="readonly">Value maps take typed values: {props.unavailable}.</p>}
      <table>
        <caption class="sr-only">Field rules</caption>
        <thead><tr><th scope="col">Sync</th><th scope="col">Hub field</th><th scope="col">Remote field</th><th scope="col">Kind</th><th scope="col">Policy (two_way)</th><th scope="col">Value map (hub → remote)</th></tr></thead>
        <tbody>
          {props.fields.map((rule, i) => {
            const hub = String(rule.hub);
            const map = mapPairs(rule.map);
            const rows = mappable(hub) ? [...map, ...Array.from({ length: SPARE_ROWS }, () => ({ hub: '', remote: '' }))] : [];
            const extra = Object.fromEntries(Object.entries(rule).filter(([k]) => k === 'default' || k === 'fallback' || k === 'prefix'));
            return (
              <tr>
                <td><input type="checkbox" name={`f.${i}.on`} checked aria-label={`Sync ${hub}`} /></td>
                <td><code>{hub}</code><input type="hidden" name={`f.${i}.hub`} value={hub} />
                  {Object.keys(extra).length > 0 && <input type="hidden" name={`f.${i}.extra`} value={JSON.stringify(extra)} />}</td>
                <td><input type="text" name={`f.${i}.remote`} value={String(rule.remote)} aria-label={`Remote field for ${hub}`} required /></td>
                <td>
                  <select name={`f.${i}.kind`} aria-label={`Kind of the ${hub} rule`}>
                    {KINDS.map((k) => <option value={k} selected={rule.kind === k}>{k}</option>)}
                  </select>
                </td>
                <td>
                  <select name={`f.${i}.policy`} aria-label={`Policy of the ${hub} rule`}>
                    <option value="">(default: remote_wins)</option>
                    {POLICIES.map((p) => <option value={p} selected={rule.policy === p}>{p}</option>)}
                  </select>
                </td>
                <td>
                  {rows.length === 0 ? <span class="hint">—</span> : (
                    <table>
                      <thead><tr><th scope="col">Hub value</th><th scope="col">Remote value</th></tr></thead>
                      <tbody>
                        {rows.map((pair, j) => (
                          <tr>
                            <td><input type="text" id={`map-${hub}-${j}-hub`} name={`f.${i}.map.${j}.hub`} value={pair.hub} aria-label={`${hub} map row ${j + 1}: hub value`} /></td>
                            <td><RemoteValue id={`map-${hub}-${j}-remote`} name={`f.${i}.map.${j}.remote`} value={pair.remote} choices={props.choices[hub as keyof RemoteChoices]} label={`${hub} map row ${j + 1}: remote value`} /></td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </WriteForm>
  );
}

/** The field rules the form describes; map rows with either side empty are left out. */
export function fieldsFromForm(form: Record<string, unknown>): FieldRuleJson[] {
  const text = (key: string) => (typeof form[key] === 'string' ? (form[key] as string).trim() : '');
  const fields: FieldRuleJson[] = [];
  for (let i = 0; typeof form[`f.${i}.hub`] === 'string'; i++) {
    if (!form[`f.${i}.on`]) continue;
    const kind = text(`f.${i}.kind`);
    const rule: FieldRuleJson = { hub: text(`f.${i}.hub`), remote: text(`f.${i}.remote`), kind };
    const policy = text(`f.${i}.policy`);
    if (policy && kind === 'two_way') rule.policy = policy;
    const map: MapPair[] = [];
    for (let j = 0; typeof form[`f.${i}.map.${j}.hub`] === 'string'; j++) {
      const hub = text(`f.${i}.map.${j}.hub`);
      const remote = text(`f.${i}.map.${j}.remote`);
      if (hub && remote) map.push({ hub, remote });
    }
    if (map.length) rule.map = map;
    const extra = text(`f.${i}.extra`);
    if (extra) {
      try {
        const parsed = JSON.parse(extra) as JsonValue;
        if (isJsonObject(parsed)) {
          const { default: dflt, fallback, prefix } = parsed;
          if (dflt !== undefined && kind === 'default') rule.default = dflt;
          if (fallback !== undefined) rule.fallback = fallback;
          // A scoped-label rule keeps its prefix while its remote is still labels.
          if (typeof prefix === 'string' && rule.remote === 'labels') rule.prefix = prefix;
        }
      } catch { /* a tampered hidden field: dropped */ }
    }
    fields.push(rule);
  }
  return fields;
}
