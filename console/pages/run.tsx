import { Hono } from 'hono';
import type { ApiCall } from '../client';
import { type ConsoleEnv, ui } from '../context';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const runUrl = (workflowId: string, label: string) => ui(`/runs?id=${encodeURIComponent(workflowId)}&label=${encodeURIComponent(label)}`);

/**
 * A run's live status (GET /runs/{workflowId}): a progress bar while it runs, re-fetched every
 * second by htmx until it ends, then the outcome and its counts.
 */
export async function RunStatus(props: { call: ApiCall; workflowId: string; label: string }) {
  const answer = await props.call('GET', `/runs/${encodeURIComponent(props.workflowId)}`);
  const run = answer.body as Json;
  const running = answer.ok && run.status === 'running';
  const percent: number | null = run.status === 'completed' ? 100 : (run.progress?.percent ?? null);
  const counts = Object.entries((run.counts ?? run.progress?.counts ?? {}) as Record<string, number>);
  const outcome = !answer.ok ? `unknown (the API answered ${answer.status})` : run.status;
  return (
    <div id="run-status" class="card" role="status" aria-live="polite" data-status={answer.ok ? run.status : 'unknown'}
      {...(running ? { 'hx-get': runUrl(props.workflowId, props.label), 'hx-trigger': 'every 1s', 'hx-swap': 'outerHTML' } : {})}>
      <h2>{props.label}</h2>
      <p>Status: <strong class="run-outcome">{outcome}</strong>{run.progress?.status ? ` — ${run.progress.status}` : ''}</p>
      <label for="run-progress">Progress{percent !== null ? `: ${percent}%` : ''}</label>
      {percent === null ? <progress id="run-progress" aria-label="Progress (unknown total)"></progress> : <progress id="run-progress" max={100} value={percent}>{percent}%</progress>}
      {counts.length > 0 && <p>{counts.map(([k, v]) => `${k} ${v}`).join(' · ')}</p>}
      {run.error && <p class="error" role="alert">{String(run.error)}</p>}
      {run.status === 'completed' && run.result !== undefined && run.result !== null && <pre>{JSON.stringify(run.result, null, 2)}</pre>}
      <p class="hint">Workflow <code>{props.workflowId}</code></p>
    </div>
  );
}

export function runRoutes() {
  return new Hono<ConsoleEnv>().get('/', async (c) => {
    const id = c.req.query('id') ?? '';
    return c.html(<RunStatus call={c.get('call')} workflowId={id} label={c.req.query('label') ?? 'Run'} />);
  });
}
