import type { ActivityView, ApiPage } from '../api-types';
import type { ApiCall } from '../client';
import { isMissingRoute } from '../client';
import { ui } from '../context';
import { when } from '../layout';

const show = (v: unknown) => (v === undefined ? '—' : v === null ? 'unset' : typeof v === 'string' ? v : JSON.stringify(v));

/**
 * The explain log (GET /stories/{id}/activity or /bindings/{id}/activity): for every write, the rule
 * and policy that decided it and the three values, base (last synced), hub and remote.
 */
export async function ActivityTimeline(props: { call: ApiCall; path: string; cursor?: string | undefined; pageUrl: string }) {
  const query = new URLSearchParams({ limit: '50', ...(props.cursor ? { cursor: props.cursor } : {}) });
  const answer = await props.call<ApiPage<ActivityView>>('GET', `${props.path}?${query}`);
  if (isMissingRoute(answer)) return <p class="readonly">This server keeps no explain log (no {props.path} route).</p>;
  if (!answer.ok) return <p class="error" role="alert">The explain log could not be read (the API answered {answer.status}).</p>;
  const items = answer.body.items;
  if (!items.length) return <p>Nothing recorded yet.</p>;
  const next = answer.body.nextCursor;
  return (
    <>
      <table class="timeline">
        <caption class="sr-only">Explain log, newest first</caption>
        <thead>
          <tr><th scope="col">When</th><th scope="col">What</th><th scope="col">Field</th><th scope="col">Rule</th><th scope="col">Base</th><th scope="col">Hub</th><th scope="col">Remote</th><th scope="col">Written</th><th scope="col">Outcome</th></tr>
        </thead>
        <tbody>
          {items.map((e) => (
            <tr data-kind={e.kind}>
              <td>{when(e.at)}</td>
              <td>{e.direction ?? ''} {e.kind}{e.target ? ` → ${e.target}` : ''}{e.storyId && props.path.startsWith('/bindings') ? <> (<a href={ui(`/stories/${e.storyId}`)}>story</a>)</> : null}</td>
              <td>{e.field ? <code>{e.field}</code> : '—'}{e.remoteField && e.remoteField !== e.field ? <> ↔ <code>{e.remoteField}</code></> : null}</td>
              <td>{e.rule ?? '—'}{e.policy ? ` (${e.policy})` : ''}</td>
              <td><span class="value">{show(e.base)}</span></td>
              <td><span class="value">{show(e.hub)}</span></td>
              <td><span class="value">{show(e.remote)}</span></td>
              <td><span class="value">{show(e.written)}</span></td>
              <td>{e.outcome ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {next && <p><a href={`${props.pageUrl}${props.pageUrl.includes('?') ? '&' : '?'}cursor=${encodeURIComponent(next)}#explain`}>Older entries</a></p>}
    </>
  );
}
