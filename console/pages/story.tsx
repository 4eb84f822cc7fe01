import { Hono } from 'hono';
import type { ApiPage, AttachmentView, CommentView, StoryView } from '../api-types';
import { describeError } from '../client';
import { type ConsoleEnv, ui } from '../context';
import { Page, when } from '../layout';
import { ActivityTimeline } from './activity';

/** A story: its fields, its remote items, comments, files, and why each field changed (the explain log). */
export function storyRoutes() {
  return new Hono<ConsoleEnv>().get('/:id', async (c) => {
    const id = c.req.param('id');
    const call = c.get('call');
    const [story, comments, files] = await Promise.all([
      call<StoryView>('GET', `/stories/${id}`), call<ApiPage<CommentView>>('GET', `/stories/${id}/comments`), call<ApiPage<AttachmentView>>('GET', `/stories/${id}/attachments`),
    ]);
    if (!story.ok) return c.html(<Page c={c} title="Story"><p class="error" role="alert">{describeError(story)}</p></Page>, story.status === 404 ? 404 : 502);
    const s = story.body;
    const custom = Object.entries(s.customFields);
    const commentItems = comments.ok ? comments.body.items : [];
    const fileItems = files.ok ? files.body.items : [];
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
              <dt>Labels</dt><dd>{s.labels.join(', ') || '—'}</dd>
              {custom.map(([k, v]) => <><dt>{k}</dt><dd>{v ?? '—'}</dd></>)}
              <dt>Version</dt><dd>{s.version}</dd>
              <dt>Updated</dt><dd>{when(s.updatedAt)}</dd>
            </dl>
          </section>
          <section class="card" aria-labelledby="links-h">
            <h2 id="links-h">Remote items</h2>
            <ul>
              {(s.links ?? []).map((l) => (
                <li>{l.remoteUrl ? <a href={l.remoteUrl}>{l.remoteKey ?? l.remoteId}</a> : (l.remoteKey ?? l.remoteId ?? 'not created yet')} — <a href={ui(`/bindings/${l.bindingId}`)}>binding</a></li>
              ))}
            </ul>
            {!(s.links ?? []).length && <p>Not linked to any remote.</p>}
          </section>
        </div>
        <h2>Description</h2>
        <pre>{s.description || '(empty)'}</pre>
        <h2>Comments ({commentItems.length})</h2>
        {commentItems.map((m) => (
          <article class="card"><p class="hint">{m.author} · {m.origin} · {when(m.createdAt)}</p><pre>{m.body}</pre></article>
        ))}
        <h2>Files</h2>
        <ul>{fileItems.map((f) => <li>{f.name} ({f.size} bytes, {f.contentType})</li>)}</ul>
        {!fileItems.length && <p>No files.</p>}
        <h2 id="explain">Why fields changed</h2>
        <ActivityTimeline call={call} path={`/stories/${id}/activity`} cursor={c.req.query('cursor')} pageUrl={ui(`/stories/${id}`)} />
      </Page>,
    );
  });
}
