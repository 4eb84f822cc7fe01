import type { PreviewView } from '../api-types';

const show = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

function FieldTable(props: { caption: string; fields: Record<string, unknown> }) {
  const entries = Object.entries(props.fields);
  if (!entries.length) return <p>{props.caption}: nothing.</p>;
  return (
    <table>
      <caption>{props.caption}</caption>
      <thead><tr><th scope="col">Field</th><th scope="col">Value</th></tr></thead>
      <tbody>{entries.map(([k, v]) => <tr><td><code>{k}</code></td><td><span class="value">{show(v)}</span></td></tr>)}</tbody>
    </table>
  );
}

/** POST /bindings/{id}/rules/preview's answer: what a pull would set in the hub and what a push would write. */
export function PreviewResult(props: { preview: PreviewView }) {
  const p = props.preview;
  const warnings = [...p.pull.warnings, ...p.push.warnings];
  if (!p.remote) {
    return (
      <div class="cards" id="preview-create">
        <div class="card"><h2>Push (hub → remote): a new item</h2>
          <p>This story is not on the remote yet; once the binding runs, a push creates it with these values.</p>
          <FieldTable caption="The new remote item would get" fields={p.push.remote} /></div>
        {warnings.length > 0 && <div class="card"><h2>Warnings</h2><ul>{warnings.map((w) => <li>{w}</li>)}</ul></div>}
      </div>
    );
  }
  return (
    <div class="cards">
      <div class="card"><h2>Pull (remote {p.remote.remoteKey ?? p.remote.remoteId} → hub)</h2><FieldTable caption="The hub would take" fields={p.pull.hub} />
        {p.pull.messages.map((m) => <pre>{m}</pre>)}</div>
      <div class="card"><h2>Push (hub → remote)</h2><FieldTable caption="The remote would get" fields={p.push.remote} /><FieldTable caption="The hub would take back" fields={p.push.hub} /></div>
      {warnings.length > 0 && <div class="card"><h2>Warnings</h2><ul>{warnings.map((w) => <li>{w}</li>)}</ul></div>}
    </div>
  );
}
