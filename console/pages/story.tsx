import { Hono } from 'hono';
import { describeError } from '../client';
import { type ConsoleEnv, ui } from '../context';
import { Page, when } from '../layout';
import { ActivityTimeline } from './activity';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A story: its fields, its remote items, comments, files, and why each field changed (the explain log). */
export function storyRoutes() {
  return new Hono<ConsoleEnv>().get('/:id', async (c) => {
    const id = c.req.param('id');
    const call = c.get('call');
    const [story, comments, files] = await Promise.all([call('GET', `/stories/${id}`), call('GET', `/stories/${id}/comments`), call('GET', `/stories/${id}/attachments`)]);
    if (!story.ok) return c.html(<Page c={c} title="Story"><p class="error" role="alert">{describeError(story)}</p></Page>, story.status === 404 ? 404 : 502);
    const s = story.body;
    const custom = Object.entries((s.customFields ?? {}) as Record<string, string | null>);
    return c.html(
      <Page c={c} title={s.title || '(untitled)'}>
        <p><a href={ui(`/projects/${s.projectId}`)}>Back to the project</a></p>
        <div class="cards">
          <section class="card" aria-labelledby="fields-h">
            <h2 id="fields-h">Fields</h2>
            <dl class="facts">
              <dt>Status</dt><dd>{s.status}{s.status !== 'open' && s.status !== 'closed' ? ` (${s.closed ? 'closed' : 'open'})` : ''}</dd>
              <dt>Priority</dt><dd>{s.priority ?? '—'}</dd>
              <dt>Assignee</dt><dd>{s.assignee ?? '—'}</dd>
              <dt>Labels</dt><dd>{(s.labels ?? []).join(', ') || '—'}</dd>
              {custom.map(([k, v]) => <><dt>{k}</dt><dd>{v ?? '—'}</dd></>)}
              <dt>Version</dt><dd>{s.version}</dd>
              <dt>Updated</dt><dd>{when(s.updatedAt)}</dd>
            </dl>
          </section>
          <section class="card" aria-labelledby="links-h">
            <h2 id="links-h">Remote items</h2>
            <ul>
              {((s.links ?? []) as Json[]).map((l) => (
                <li>{l.remoteUrl ? <a href={l.remoteUrl}>{l.remoteKey ?? l.remoteId}</a> : (l.remoteKey ?? l.remoteId ?? 'not created yet')} — <a href={ui(`/bindings/${l.bindingId}`)}>binding</a></li>
              ))}
            </ul>
            {!(s.links ?? []).length && <p>Not linked to any remote.</p>}
          </section>
        </div>
        <h2>Description</h2>
        <pre>{s.description || '(empty)'}</pre>
        <h2>Comments ({(comments.body.items ?? []).length})</h2>
        {((comments.body.items ?? []) as Json[]).map((m) => (
          <article class="card"><p class="hint">{m.author} · {m.origin} · {when(m.createdAt)}</p><pre>{m.body}</pre></article>
        ))}
        <h2>Files</h2>
        <ul>{((files.body.items ?? []) as Json[]).map((f) => <li>{f.name} ({f.size} bytes, {f.contentType})</li>)}</ul>
        {!(files.body.items ?? []).length && <p>No files.</p>}
        <h2 id="explain">Why fields changed</h2>
        <ActivityTimeline call={call} path={`/stories/${id}/activity`} cursor={c.req.query('cursor')} pageUrl={ui(`/stories/${id}`)} />
      </Page>,
    );
  });
}
