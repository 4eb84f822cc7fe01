import { Hono } from 'hono';
import type { ApiPage, BacklogView, BindingRunView, BindingStatusView, ConnectionView, DeadLetterView, ImportedView, InboxEntryView, ProjectView, PullStartedView, RetriedView, StoryListView } from '../api-types';
import { describeError, isMissingRoute, type ApiAnswer } from '../client';
import { type ConsoleContext, type ConsoleEnv, type ConsoleOptions, back, canWrite, ui } from '../context';
import { Page, WriteForm, when } from '../layout';
import { ActivityTimeline } from './activity';
import { PreviewForm, rulesStep } from './wizard';

const age = (seconds: number | null | undefined) =>
  seconds === null || seconds === undefined ? '—' : seconds < 120 ? `${seconds} s` : seconds < 7200 ? `${Math.round(seconds / 60)} min` : `${Math.round(seconds / 3600)} h`;

/** Where the Temporal UI lists this binding's workflows: filtered by the BindingId search attribute. */
export function temporalLink(opts: Pick<ConsoleOptions, 'temporalUiUrl' | 'temporalNamespace'>, bindingId: string): string | null {
  if (!opts.temporalUiUrl) return null;
  const query = encodeURIComponent(`BindingId="${bindingId}"`);
  return `${opts.temporalUiUrl.replace(/\/$/, '')}/namespaces/${encodeURIComponent(opts.temporalNamespace ?? 'default')}/workflows?query=${query}`;
}

/** After an action on a binding: back to its dashboard with what happened. */
function done(c: ConsoleContext, id: string, answer: ApiAnswer, ok: string, anchor = '') {
  if (isMissingRoute(answer)) return back(c, ui(`/bindings/${id}${anchor}`), { error: 'This server has no route for that.' });
  return back(c, ui(`/bindings/${id}${anchor}`), answer.ok ? { notice: ok } : { error: describeError(answer) });
}

/** The binding dashboard and its actions: pull, pause, resume, resync, dead letters, inbox, rules. */
export function bindingRoutes(opts: ConsoleOptions) {
  return new Hono<ConsoleEnv>()
    .get('/:id', async (c) => {
      const id = c.req.param('id');
      const call = c.get('call');
      const [binding, backlog, letters, inbox, runs] = await Promise.all([
        call<BindingStatusView>('GET', `/bindings/${id}`), call<BacklogView>('GET', `/bindings/${id}/backlog`), call<ApiPage<DeadLetterView>>('GET', `/bindings/${id}/dead-letters`),
        call<ApiPage<InboxEntryView>>('GET', `/bindings/${id}/inbox`), call<ApiPage<BindingRunView>>('GET', `/bindings/${id}/runs?limit=10`),
      ]);
      if (!binding.ok) return c.html(<Page c={c} title="Binding"><p class="error" role="alert">{describeError(binding)}</p></Page>, binding.status === 404 ? 404 : 502);
      const b = binding.body;
      const [project, connection] = await Promise.all([call<ProjectView>('GET', `/projects/${b.projectId}`), call<ConnectionView>('GET', `/connections/${b.connectionId}`)]);
      const temporal = temporalLink(opts, id);
      const run = b.lastRun;
      const deadLetters = letters.ok ? letters.body.items : [];
      const inboxEntries = inbox.ok ? inbox.body.items : [];
      return c.html(
        <Page c={c} title={`${project.ok ? project.body.key : 'Project'} ↔ ${b.connector}: ${b.scope}`}>
          <div class="cards">
            <section class="card" aria-labelledby="status-h">
              <h2 id="status-h">Status</h2>
              <p id="binding-status"><strong>{b.status}</strong></p>
              {b.waiting && <p class="readonly">{b.waiting.reason}</p>}
              <dl class="facts">
                <dt>State</dt><dd>{b.state}{b.pausedReason ? ` (${b.pausedReason})` : ''}</dd>
                <dt>Linked items</dt><dd>{b.linkedItems}</dd>
                <dt>Last pull</dt><dd>{when(b.lastPullAt)}</dd>
                <dt>Next pull</dt><dd>{when(b.nextPullAt)}</dd>
                <dt>Every</dt><dd>{b.pullIntervalSeconds} s</dd>
                <dt>New items</dt><dd>{b.importPolicy === 'review' ? 'to the inbox' : 'imported'}</dd>
                <dt>Connection</dt><dd><a href={ui(`/connections/${b.connectionId}`)}>{connection.ok ? connection.body.name : b.connectionId}</a></dd>
              </dl>
              <p class="row">
                <a href={ui(`/projects/${b.projectId}`)}>Stories</a>
                <a href={ui(`/bindings/${id}/rules`)}>Rules</a>
                {temporal && <a href={temporal}>Workflows in the Temporal UI</a>}
              </p>
            </section>
            <section class="card" aria-labelledby="run-h">
              <h2 id="run-h">Last run</h2>
              {run ? (
                <dl class="facts">
                  <dt>Kind</dt><dd>{run.kind}</dd>
                  <dt>Status</dt><dd>{run.status}</dd>
                  <dt>Counts</dt><dd>{Object.entries(run.counts).map(([k, v]) => `${k} ${v}`).join(' · ') || '—'}</dd>
                  <dt>Started</dt><dd>{when(run.startedAt)}</dd>
                  <dt>Finished</dt><dd>{when(run.finishedAt)}</dd>
                  {run.error && <><dt>Error</dt><dd class="error">{run.error}</dd></>}
                </dl>
              ) : <p>No run yet.</p>}
              <div class="row">
                <WriteForm c={c} inline action={ui(`/bindings/${id}/pull`)} label="Pull now" />
                {b.state === 'paused'
                  ? <WriteForm c={c} inline action={ui(`/bindings/${id}/resume`)} label="Resume" secondary />
                  : <WriteForm c={c} inline action={ui(`/bindings/${id}/pause`)} label="Pause" secondary />}
                <WriteForm c={c} inline action={ui(`/bindings/${id}/start`)} label="Full resync" secondary />
              </div>
            </section>
            <section class="card" aria-labelledby="backlog-h">
              <h2 id="backlog-h">Backlog</h2>
              {backlog.ok ? (
                <dl class="facts">
                  <dt>Backlogged</dt><dd>{backlog.body.backlogged ? 'yes: the remote keeps failing, events wait in order' : 'no'}</dd>
                  <dt>Size</dt><dd id="backlog-size">{backlog.body.size} stories</dd>
                  <dt>Oldest</dt><dd>{age(backlog.body.oldestAgeSeconds)}</dd>
                  <dt>Dead letters</dt><dd>{backlog.body.deadLetters}</dd>
                </dl>
              ) : <p class="error">{describeError(backlog)}</p>}
            </section>
          </div>
          <section aria-labelledby="runs-h" id="runs">
            <h2 id="runs-h">Recent runs</h2>
            {!runs.ok ? <p class="error">{describeError(runs)}</p> : runs.body.items.length ? (
              <table>
                <thead><tr><th scope="col">Kind</th><th scope="col">Status</th><th scope="col">Items</th><th scope="col">Created</th><th scope="col">Updated</th><th scope="col">Unchanged</th><th scope="col">Failed</th><th scope="col">Started</th><th scope="col">Finished</th></tr></thead>
                <tbody>
                  {runs.body.items.map((r) => (
                    <tr>
                      <td>{r.kind}</td><td>{r.status}{r.error ? <span class="error">: {r.error}</span> : ''}</td><td>{r.items ?? '—'}</td>
                      <td>{r.counts.created ?? 0}</td><td>{r.counts.updated ?? 0}</td><td>{r.counts.unchanged ?? 0}</td><td>{r.counts.failed ?? 0}</td>
                      <td>{when(r.startedAt)}</td><td>{when(r.finishedAt)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ) : <p>No run yet.</p>}
          </section>
          <section aria-labelledby="warnings-h">
            <h2 id="warnings-h">Warnings ({b.warnings.length})</h2>
            {b.warnings.length ? <ul>{b.warnings.map((w) => <li>{w}</li>)}</ul> : <p>None: every value was mapped.</p>}
          </section>
          <section aria-labelledby="dead-h" id="dead-letters">
            <h2 id="dead-h">Dead letters ({deadLetters.length})</h2>
            {deadLetters.length ? (
              <>
                <table>
                  <thead><tr><th scope="col">Story</th><th scope="col">Error</th><th scope="col">Since</th><th scope="col">Actions</th></tr></thead>
                  <tbody>
                    {deadLetters.map((d) => (
                      <tr>
                        <td><a href={ui(`/stories/${d.storyId}`)}>{d.storyId.slice(0, 8)}</a></td><td>{d.error}</td><td>{when(d.createdAt)}</td>
                        <td class="row">
                          <WriteForm c={c} inline action={ui(`/bindings/${id}/dead-letters/${d.id}/retry`)} label="Retry" />
                          <WriteForm c={c} inline action={ui(`/bindings/${id}/dead-letters/${d.id}/drop`)} label="Drop" danger />
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
                <WriteForm c={c} action={ui(`/bindings/${id}/dead-letters/retry`)} label="Retry all" secondary />
              </>
            ) : <p>None.</p>}
          </section>
          <section aria-labelledby="inbox-h" id="inbox">
            <h2 id="inbox-h">Inbox ({inboxEntries.length})</h2>
            {inboxEntries.length ? (
              <table>
                <thead><tr><th scope="col">Remote item</th><th scope="col">Title</th><th scope="col">Received</th><th scope="col">Actions</th></tr></thead>
                <tbody>
                  {inboxEntries.map((e) => (
                    <tr>
                      <td>{e.url ? <a href={e.url}>{e.remoteKey}</a> : e.remoteKey}</td><td>{e.title}</td><td>{when(e.receivedAt)}</td>
                      <td class="row">
                        <WriteForm c={c} inline action={ui(`/bindings/${id}/inbox/${e.id}/import`)} label={`Import ${e.remoteKey}`} />
                        <WriteForm c={c} inline action={ui(`/bindings/${id}/inbox/${e.id}/dismiss`)} label={`Dismiss ${e.remoteKey}`} secondary />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ) : <p>Empty{b.importPolicy === 'review' ? '' : ' (this binding imports new items itself)'}.</p>}
          </section>
          <section aria-labelledby="explain-h" id="explain">
            <h2 id="explain-h">Why fields changed</h2>
            <ActivityTimeline call={call} path={`/bindings/${id}/activity`} cursor={c.req.query('cursor')} pageUrl={ui(`/bindings/${id}`)} />
          </section>
          {canWrite(c) && (
            <section aria-labelledby="delete-h">
              <h2 id="delete-h">Delete the binding</h2>
              <p class="hint">Its schedule goes; the hub's stories stay.</p>
              <WriteForm c={c} action={ui(`/bindings/${id}/delete`)} label="Delete binding" danger />
            </section>
          )}
        </Page>,
      );
    })
    .get('/:id/rules', async (c) => {
      const id = c.req.param('id');
      const call = c.get('call');
      const binding = await call<BindingStatusView>('GET', `/bindings/${id}`);
      if (!binding.ok) return c.html(<Page c={c} title="Rules"><p class="error" role="alert">{describeError(binding)}</p></Page>, 404);
      const stories = await call<StoryListView>('GET', `/projects/${binding.body.projectId}/stories?limit=200`);
      return c.html(
        <Page c={c} title={`Rules: ${binding.body.connector} ${binding.body.scope}`}>
          <p><a href={ui(`/bindings/${id}`)}>Back to the dashboard</a></p>
          {await rulesStep(c, binding.body, ui(`/bindings/${id}/rules`))}
          <h2>Preview on a story</h2>
          <PreviewForm c={c} bindingId={id} stories={stories.ok ? stories.body.items : []} />
        </Page>,
      );
    })
    .post('/:id/pull', async (c) => {
      const id = c.req.param('id');
      const answer = await c.get('call')<PullStartedView>('POST', `/bindings/${id}/pull`);
      return done(c, id, answer, answer.ok && answer.body.queued ? 'A pull is running; this one is queued behind it.' : 'Pull started.');
    })
    .post('/:id/pause', async (c) => done(c, c.req.param('id'), await c.get('call')('POST', `/bindings/${c.req.param('id')}/pause`), 'Paused.'))
    .post('/:id/resume', async (c) => done(c, c.req.param('id'), await c.get('call')('POST', `/bindings/${c.req.param('id')}/resume`), 'Resumed.'))
    .post('/:id/delete', async (c) => {
      const answer = await c.get('call')('DELETE', `/bindings/${c.req.param('id')}`);
      if (!answer.ok) return done(c, c.req.param('id'), answer, '');
      return back(c, ui(), { notice: 'Binding deleted.' });
    })
    .post('/:id/dead-letters/retry', async (c) => {
      const id = c.req.param('id');
      const answer = await c.get('call')<RetriedView>('POST', `/bindings/${id}/dead-letters/retry`);
      return done(c, id, answer, `Retried ${answer.ok ? answer.body.retried : 0} dead letters.`, '#dead-letters');
    })
    .post('/:id/dead-letters/:letter/retry', async (c) => {
      const { id, letter } = c.req.param();
      return done(c, id, await c.get('call')('POST', `/bindings/${id}/dead-letters/${letter}/retry`), 'Retried: the story\'s latest state is pushed again.', '#dead-letters');
    })
    .post('/:id/dead-letters/:letter/drop', async (c) => {
      const { id, letter } = c.req.param();
      return done(c, id, await c.get('call')('DELETE', `/bindings/${id}/dead-letters/${letter}`), 'Dropped.', '#dead-letters');
    })
    .post('/:id/inbox/:entry/import', async (c) => {
      const { id, entry } = c.req.param();
      const answer = await c.get('call')<ImportedView>('POST', `/bindings/${id}/inbox/${entry}/import`);
      if (answer.ok) return back(c, ui(`/stories/${answer.body.storyId}`), { notice: 'Imported as a story.' });
      return done(c, id, answer, '', '#inbox');
    })
    .post('/:id/inbox/:entry/dismiss', async (c) => {
      const { id, entry } = c.req.param();
      return done(c, id, await c.get('call')('POST', `/bindings/${id}/inbox/${entry}/dismiss`), 'Dismissed.', '#inbox');
    });
}
