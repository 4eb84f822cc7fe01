import { Hono } from 'hono';
import {
  type ApiPage, type BindingStatusView, type BindingView, type ConnectionView, type PreviewView, type ProjectView, type RulesView, type ScopeGroupsView, type StartedRunView,
  type StoryListView, type StoryView, isJsonObject,
} from '../api-types';
import { describeError } from '../client';
import { type ConsoleContext, type ConsoleEnv, type ConsoleOptions, back, ui } from '../context';
import { Page, WriteForm } from '../layout';
import { ProjectForm } from './home';
import { RunStatus } from './run';
import { RulesForm, fieldRules, fieldsFromForm, remoteChoices } from './rules-form';
import { PreviewResult } from './preview';

const STEPS = ['Connection', 'Scope', 'Rules', 'Preview', 'Sync'];

function Steps(props: { current: number }) {
  return (
    <ol class="steps" aria-label="Binding wizard steps">
      {STEPS.map((s, i) => <li aria-current={i + 1 === props.current ? 'step' : undefined}>{i + 1}. {s}</li>)}
    </ol>
  );
}

const setupUrl = (id: string, step: number, extra = '') => ui(`/bindings/${id}/setup?step=${step}${extra}`);

/**
 * The binding wizard: 1 project and connection, 2 a scope from the remote's live list (the binding is
 * created paused, so nothing syncs before the rules are set), 3 rules, 4 preview, 5 start and watch
 * the initial sync.
 */
export function wizardRoutes(opts: Pick<ConsoleOptions, 'temporalUiUrl'> = {}) {
  return new Hono<ConsoleEnv>()
    .get('/new', async (c) => {
      const call = c.get('call');
      const projectId = c.req.query('project');
      const connectionId = c.req.query('connection');
      const [projects, connections] = await Promise.all([call<ApiPage<ProjectView>>('GET', '/projects'), call<ApiPage<ConnectionView>>('GET', '/connections')]);
      if (!projectId || !connectionId || c.req.query('step') === '1') {
        return c.html(
          <Page c={c} title="Bind a project" current={ui('/bindings/new')}>
            <Steps current={1} />
            <form method="get" action={ui('/bindings/new')}>
              <input type="hidden" name="step" value="2" />
              <label for="wizard-project">Hub project</label>
              <select id="wizard-project" name="project" required class="wide">
                <option value="">Choose…</option>
                {(projects.ok ? projects.body.items : []).map((p) => <option value={p.id} selected={p.id === projectId}>{p.key}: {p.name}</option>)}
              </select>
              <label for="wizard-connection">Connection</label>
              <select id="wizard-connection" name="connection" required class="wide">
                <option value="">Choose…</option>
                {(connections.ok ? connections.body.items : []).map((k) => <option value={k.id} selected={k.id === connectionId}>{k.name} ({k.connector})</option>)}
              </select>
              <p class="hint">No connection yet? <a href={ui('/connections')}>Create one</a>.</p>
              <p><button type="submit">Next: pick a scope</button></p>
            </form>
            <h2>Or create a hub project</h2>
            <ProjectForm c={c} returnTo={ui(`/bindings/new?step=1${connectionId ? `&connection=${connectionId}` : ''}`)} />
          </Page>,
        );
      }
      const [scopes, connection] = await Promise.all([call<ScopeGroupsView>('GET', `/connections/${connectionId}/scopes`), call<ConnectionView>('GET', `/connections/${connectionId}`)]);
      return c.html(
        <Page c={c} title="Bind a project" current={ui('/bindings/new')}>
          <Steps current={2} />
          <p>Through <strong>{connection.ok ? connection.body.name : connectionId}</strong>. <a href={ui(`/bindings/new?step=1&project=${projectId}&connection=${connectionId}`)}>Change</a></p>
          {!scopes.ok ? <p class="error" role="alert">The remote's scopes could not be listed: {describeError(scopes)}</p> : (
            <WriteForm c={c} action={ui('/bindings/new')} label="Next: create the binding and set its rules">
              <input type="hidden" name="projectId" value={projectId} />
              <input type="hidden" name="connectionId" value={connectionId} />
              <label for="wizard-scope">Remote scope</label>
              <p class="hint" id="wizard-scope-hint">Listed live from the remote.</p>
              <select id="wizard-scope" name="scope" required class="wide" aria-describedby="wizard-scope-hint">
                <option value="">Choose…</option>
                {scopes.body.items.map((g) => (
                  <optgroup label={g.group}>{g.scopes.map((s) => <option value={s.id}>{s.name} ({s.id})</option>)}</optgroup>
                ))}
              </select>
              <label for="wizard-import">New remote items</label>
              <select id="wizard-import" name="importPolicy" class="wide">
                <option value="auto">Import them as stories (auto)</option>
                <option value="review">Put them in the inbox for review</option>
              </select>
              <label for="wizard-interval">Pull every (seconds)</label>
              <input id="wizard-interval" name="pullIntervalSeconds" type="number" min={10} max={86400} value="300" required />
              <p></p>
            </WriteForm>
          )}
        </Page>,
      );
    })
    .post('/new', async (c) => {
      const form = await c.req.parseBody();
      const call = c.get('call');
      const body = {
        projectId: String(form.projectId ?? ''), connectionId: String(form.connectionId ?? ''), scope: String(form.scope ?? ''),
        importPolicy: form.importPolicy === 'review' ? 'review' : 'auto', pullIntervalSeconds: Number(form.pullIntervalSeconds ?? 300),
      };
      const created = await call<BindingView>('POST', '/bindings', body);
      if (!created.ok) return back(c, ui(`/bindings/new?step=2&project=${body.projectId}&connection=${body.connectionId}`), { error: `Binding not created: ${describeError(created)}` });
      // Paused until step 5, so no scheduled pull runs under rules still being set.
      const paused = await call('POST', `/bindings/${created.body.id}/pause`);
      if (!paused.ok) return back(c, setupUrl(created.body.id, 3), { error: `Created, but not paused: ${describeError(paused)}` });
      return back(c, setupUrl(created.body.id, 3), { notice: `Bound to ${created.body.scope}; it stays paused until you start it in step 5.` });
    })
    .get('/:id/setup', async (c) => {
      const id = c.req.param('id');
      const step = Number(c.req.query('step') ?? 3);
      const call = c.get('call');
      const binding = await call<BindingStatusView>('GET', `/bindings/${id}`);
      if (!binding.ok) return c.html(<Page c={c} title="Bind a project"><p class="error" role="alert">{describeError(binding)}</p></Page>, 404);
      const b = binding.body;
      const title = `Bind a project: ${b.connector} ${b.scope}`;
      if (step === 3) return c.html(<Page c={c} title={title} current={ui('/bindings/new')}><Steps current={3} />{await rulesStep(c, b)}</Page>);
      if (step === 4) return c.html(<Page c={c} title={title} current={ui('/bindings/new')}><Steps current={4} />{await previewStep(c, b)}</Page>);
      const run = c.req.query('run');
      return c.html(
        <Page c={c} title={title} current={ui('/bindings/new')}>
          <Steps current={5} />
          {run ? (
            <>
              <RunStatus call={call} workflowId={run} label="Initial sync" temporalUiUrl={opts.temporalUiUrl} />
              <p><a class="button" href={ui(`/bindings/${id}`)}>Open the binding's dashboard</a></p>
            </>
          ) : (
            <>
              <p>Starting resumes the binding's pull schedule and runs the initial sync: unlinked hub stories are pushed, every remote item is pulled.</p>
              <WriteForm c={c} action={ui(`/bindings/${id}/start`)} label="Start the initial sync" />
            </>
          )}
        </Page>,
      );
    })
    .post('/:id/rules', async (c) => {
      const id = c.req.param('id');
      const form = await c.req.parseBody();
      const call = c.get('call');
      const current = await call<RulesView>('GET', `/bindings/${id}/rules`);
      // The other sections (messages, files…) stay as stored; only the field table is replaced.
      const rules = { ...(current.ok && isJsonObject(current.body.rules) ? current.body.rules : {}), fields: fieldsFromForm(form) };
      const stored = await call('PUT', `/bindings/${id}/rules`, rules);
      const next = typeof form.next === 'string' && form.next.startsWith('/ui/') ? form.next : ui(`/bindings/${id}`);
      if (!stored.ok) return back(c, next.includes('step=4') ? setupUrl(id, 3) : ui(`/bindings/${id}/rules`), { error: `Rules not saved: ${describeError(stored)}` });
      return back(c, next, { notice: 'Rules saved.' });
    })
    .post('/:id/preview', async (c) => {
      const id = c.req.param('id');
      const form = await c.req.parseBody();
      const binding = await c.get('call')<BindingStatusView>('GET', `/bindings/${id}`);
      const storyId = String(form.storyId ?? '');
      const preview = await c.get('call')<PreviewView>('POST', `/bindings/${id}/rules/preview`, { storyId });
      const wizard = form.wizard === '1';
      return c.html(
        <Page c={c} title={binding.ok ? `Preview: ${binding.body.connector} ${binding.body.scope}` : 'Preview'} current={wizard ? ui('/bindings/new') : undefined}>
          {wizard && <Steps current={4} />}
          {preview.ok ? <PreviewResult preview={preview.body} /> : <p class="error" role="alert">{describeError(preview)}</p>}
          <p class="row">
            <a class="button secondary" href={wizard ? setupUrl(id, 4) : ui(`/bindings/${id}/rules`)}>Preview another story</a>
            {wizard && <a class="button" href={setupUrl(id, 5)}>Next: start the sync</a>}
          </p>
        </Page>,
      );
    })
    .post('/:id/start', async (c) => {
      const id = c.req.param('id');
      const call = c.get('call');
      const b = await call<BindingStatusView>('GET', `/bindings/${id}`);
      if (b.ok && b.body.state === 'paused') {
        const resumed = await call('POST', `/bindings/${id}/resume`);
        if (!resumed.ok) return back(c, setupUrl(id, 5), { error: `Not resumed: ${describeError(resumed)}` });
      }
      const started = await call<StartedRunView>('POST', `/bindings/${id}/initial-sync`);
      if (!started.ok) return back(c, setupUrl(id, 5), { error: `Initial sync not started: ${describeError(started)}` });
      return back(c, setupUrl(id, 5, `&run=${encodeURIComponent(started.body.workflowId)}`), { notice: 'Initial sync started.' });
    });
}

export async function rulesStep(c: ConsoleContext, b: BindingView, next = setupUrl(b.id, 4)) {
  const call = c.get('call');
  const rules = await call<RulesView>('GET', `/bindings/${b.id}/rules`);
  const { choices, unavailable } = await remoteChoices(call, b.connectionId, b.scope);
  const fields = rules.ok ? fieldRules(rules.body.effective) : [];
  return (
    <>
      <p>The connector's defaults are filled in. Untick a field to leave it unsynced; a value map's remote side lists the remote's own values.</p>
      <RulesForm c={c} action={ui(`/bindings/${b.id}/rules`)} fields={fields} choices={choices} unavailable={unavailable} submitLabel="Save rules" next={next} />
    </>
  );
}

async function previewStep(c: ConsoleContext, b: BindingView) {
  const stories = await c.get('call')<StoryListView>('GET', `/projects/${b.projectId}/stories?limit=200`);
  const items = stories.ok ? stories.body.items : [];
  return (
    <>
      <p>Try the rules on one story without writing anything. A story the remote does not have yet shows the item a push would create from it; once the binding has linked a story, the preview also shows what a pull would take from the remote (as last synced).</p>
      {items.length ? <PreviewForm c={c} bindingId={b.id} stories={items} wizard /> : <p class="readonly">The project has no stories yet.</p>}
      <p><a class="button" href={setupUrl(b.id, 5)}>Next: start the sync</a></p>
    </>
  );
}

export function PreviewForm(props: { c: ConsoleContext; bindingId: string; stories: StoryView[]; wizard?: boolean }) {
  return (
    <WriteForm c={props.c} action={ui(`/bindings/${props.bindingId}/preview`)} label="Preview" secondary>
      {props.wizard && <input type="hidden" name="wizard" value="1" />}
      <label for="preview-story">Story</label>
      <select id="preview-story" name="storyId" class="wide" required>
        {props.stories.map((s) => <option value={s.id}>{s.title || '(untitled)'}</option>)}
      </select>
      <p></p>
    </WriteForm>
  );
}
