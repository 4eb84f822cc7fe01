import { Hono } from 'hono';
import { type JsonObject, type JsonValue, type RunView, isJsonObject } from '../api-types';
import { type ApiCall, describeError } from '../client';
import { type ConsoleEnv, type ConsoleOptions, ui } from '../context';
import { humanize } from './schema-form';

const runUrl = (workflowId: string, label: string) => ui(`/runs?id=${encodeURIComponent(workflowId)}&label=${encodeURIComponent(label)}`);

/** The sync counts in the order a reader scans them; `inboxed` only matters under the review policy. */
const COUNTS = ['created', 'updated', 'unchanged', 'failed', 'inboxed'] as const;

/** "850 ms", "12.4 s", "3 min 05 s": how long a run took, from the API's start and close times. */
export function duration(startedAt: string | undefined, closedAt: string | null | undefined): string | null {
  if (!startedAt || !closedAt) return null;
  const ms = Date.parse(closedAt) - Date.parse(startedAt);
  if (!Number.isFinite(ms) || ms < 0) return null;
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
}

/** The numeric entries of a JSON object: counts as a workflow's result or progress reports them. */
const numbers = (o: JsonObject): Record<string, number> =>
  Object.fromEntries(Object.entries(o).filter((e): e is [string, number] => typeof e[1] === 'number'));

const scalar = (v: unknown) => (v === null || ['string', 'number', 'boolean'].includes(typeof v) ? String(v) : JSON.stringify(v));

/** What a finished run produced, as facts a person reads: a sync's counts, a test's verdict, or the result's own fields. */
function RunOutcome(props: { run: RunView }) {
  const { run } = props;
  // Whatever the workflow returned (the API declares no schema for it): an object is read by its fields, anything else shown as it is.
  const value = run.result as JsonValue | undefined;
  const result = isJsonObject(value) ? value : {};
  const resultCounts = isJsonObject(result.counts) ? numbers(result.counts) : undefined;
  // The run row's counts are the source of truth; only the workflow's result counts inboxed items.
  const counts = run.counts || resultCounts ? { ...resultCounts, ...run.counts } : undefined;
  const took = duration(run.startedAt, run.closedAt);
  const rows: [string, string][] = [];
  if (took) rows.push(['Duration', took]);
  if (counts) {
    for (const k of COUNTS) {
      const n = counts[k];
      if (n !== undefined && (k !== 'inboxed' || n > 0)) rows.push([humanize(k), String(n)]);
    }
    if (typeof result.items === 'number') rows.push(['Remote items listed', String(result.items)]);
    if (typeof result.deleted === 'number') rows.push(['Deleted', String(result.deleted)]);
    if (result.status === 'skipped') rows.push(['Skipped', String(result.reason ?? 'yes')]);
  } else if (typeof result.ok === 'boolean') {
    rows.push(['Result', `${result.ok ? 'ok' : 'not ok'}${result.message ? `: ${String(result.message)}` : ''}`]);
    if (result.account) rows.push(['Signed in as', String(result.account)]);
  } else if (value !== undefined && value !== null) {
    if (typeof value !== 'object') rows.push(['Result', scalar(value)]);
    else for (const [k, v] of Object.entries(value)) rows.push([humanize(k), scalar(v)]);
  }
  if (!rows.length) return null;
  return (
    <dl class="facts" id="run-summary">
      {rows.map(([k, v]) => <><dt>{k}</dt><dd>{v}</dd></>)}
    </dl>
  );
}

/**
 * A run's live status (GET /runs/{workflowId}): a progress bar while it runs, re-fetched every
 * second by htmx until it ends, then a summary of the outcome and a link to the run in the Temporal UI.
 */
export async function RunStatus(props: { call: ApiCall; workflowId: string; label: string; temporalUiUrl?: string | undefined }) {
  const answer = await props.call<RunView>('GET', `/runs/${encodeURIComponent(props.workflowId)}`);
  const run = answer.ok ? answer.body : null;
  // A sync run's progress (db/runs.ts runProgress) or another workflow's answer to its progress query: JSON of no fixed shape.
  const progress = run && isJsonObject(run.progress) ? run.progress : undefined;
  const running = run?.status === 'running';
  const percent = run?.status === 'completed' ? 100 : typeof progress?.percent === 'number' ? progress.percent : null;
  const liveCounts = running ? Object.entries(run.counts ?? (isJsonObject(progress?.counts) ? numbers(progress.counts) : {})) : [];
  const outcome = run ? run.status : `unknown (the API answered ${answer.status})`;
  const temporal = props.temporalUiUrl && run ? `${props.temporalUiUrl.replace(/\/$/, '')}${run.temporalUiPath}` : null;
  const error = answer.ok ? answer.body.error : describeError(answer);
  return (
    <div id="run-status" class="card" role="status" aria-live="polite" data-status={run ? run.status : 'unknown'}
      {...(running ? { 'hx-get': runUrl(props.workflowId, props.label), 'hx-trigger': 'every 1s', 'hx-swap': 'outerHTML' } : {})}>
      <h2>{props.label}</h2>
      <p>Status: <strong class="run-outcome">{outcome}</strong>{typeof progress?.status === 'string' && progress.status ? ` — ${progress.status}` : ''}</p>
      <label for="run-progress">Progress{percent !== null ? `: ${percent}%` : ''}</label>
      {percent === null ? <progress id="run-progress" aria-label="Progress (unknown total)"></progress> : <progress id="run-progress" max={100} value={percent}>{percent}%</progress>}
      {liveCounts.length > 0 && <p>{liveCounts.map(([k, v]) => `${k} ${v}`).join(' · ')}</p>}
      {error && <p class="error" role="alert">{error}</p>}
      {run && !running && <RunOutcome run={run} />}
      <p class="hint">Workflow <code>{props.workflowId}</code>{temporal && <> · <a href={temporal}>Open this run in the Temporal UI</a></>}</p>
    </div>
  );
}

export function runRoutes(opts: Pick<ConsoleOptions, 'temporalUiUrl'> = {}) {
  return new Hono<ConsoleEnv>().get('/', async (c) => {
    const id = c.req.query('id') ?? '';
    return c.html(<RunStatus call={c.get('call')} workflowId={id} label={c.req.query('label') ?? 'Run'} temporalUiUrl={opts.temporalUiUrl} />);
  });
}
