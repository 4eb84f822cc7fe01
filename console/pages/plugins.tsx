import { Hono } from 'hono';
import { type ApiPage, type HookRunView, type JobSummaryView, type JobView, type JsonObject, type JsonValue, type PluginView, type StartedJobView, isJsonObject } from '../api-types';
import { type ApiAnswer, type ApiCall, describeError } from '../client';
import { type ConsoleContext, type ConsoleEnv, back, ui } from '../context';
import { Page, WriteForm, when } from '../layout';
import { type JsonSchema, SchemaFields, humanize, valuesFromForm } from './schema-form';

type PluginAction = PluginView['actions'][number];

/** How many of a hook's runs, and of an action's jobs, the page shows. */
const RECENT = 5;

const jobUrl = (id: string) => ui(`/plugins/jobs/${encodeURIComponent(id)}`);

/**
 * An action's params as JSON Schema. GET /plugins names the action's path; /openapi.json carries its
 * request body, the same schema the API validates with, so the form cannot drift from it.
 */
function paramsSchema(spec: JsonObject, path: string): JsonSchema {
  const schema = dig(spec, 'paths', path, 'post', 'requestBody', 'content', 'application/json', 'schema');
  const ref = isJsonObject(schema) && typeof schema.$ref === 'string' ? /^#\/components\/schemas\/(.+)$/.exec(schema.$ref)?.[1] : undefined;
  const found = ref ? dig(spec, 'components', 'schemas', decodeURIComponent(ref)) : schema;
  return (isJsonObject(found) ? found : { type: 'object', properties: {} }) as JsonSchema;
}

/** The value at `keys` down nested JSON objects, or undefined where one is missing. */
const dig = (value: JsonValue, ...keys: string[]) => keys.reduce<JsonValue | undefined>((v, k) => (isJsonObject(v) ? v[k] : undefined), value);

async function loadPlugins(call: ApiCall) {
  const [plugins, spec] = await Promise.all([call<ApiPage<PluginView>>('GET', '/plugins'), call('GET', '/openapi.json')]);
  return { plugins: plugins.ok ? plugins.body.items : null, answer: plugins, spec: spec.ok && isJsonObject(spec.body) ? spec.body : {} };
}

/** Each hook's latest runs, and each plugin's latest jobs, asked for together. */
async function recentActivity(call: ApiCall, plugins: PluginView[]) {
  const q = (params: Record<string, string>) => new URLSearchParams({ ...params, limit: String(RECENT) }).toString();
  const hookRuns = new Map<string, HookRunView[]>();
  const jobs = new Map<string, JobSummaryView[]>();
  await Promise.all(plugins.flatMap((p) => [
    ...p.hooks.map(async (h) => {
      const answer = await call<ApiPage<HookRunView>>('GET', `/hooks/runs?${q({ plugin: p.name, hook: h.name })}`);
      hookRuns.set(`${p.name}/${h.name}`, answer.ok ? answer.body.items : []);
    }),
    ...(p.actions.length ? [(async () => {
      const answer = await call<ApiPage<JobSummaryView>>('GET', `/jobs?${q({ plugin: p.name })}`);
      jobs.set(p.name, answer.ok ? answer.body.items : []);
    })()] : []),
  ]));
  return { hookRuns, jobs };
}

function ActionForm(props: { c: ConsoleContext; plugin: PluginView; action: PluginAction; schema: JsonSchema; index: string }) {
  const { plugin, action } = props;
  const hasParams = Object.keys(props.schema.properties ?? {}).length > 0 || Boolean(props.schema.anyOf);
  return (
    <div class="card action">
      <h4>{action.name}</h4>
      {action.description && <p class="hint">{action.description}</p>}
      <WriteForm c={props.c} action={ui(`/plugins/${encodeURIComponent(plugin.name)}/actions/${encodeURIComponent(action.name)}`)} label={`Run ${action.name}`}>
        {hasParams ? <SchemaFields schema={props.schema} prefix="params" idPrefix={`action-${props.index}`} legend="Params" /> : <p class="hint">No params.</p>}
      </WriteForm>
    </div>
  );
}

function PluginSection(props: { c: ConsoleContext; plugin: PluginView; index: number; spec: JsonObject; hookRuns: Map<string, HookRunView[]>; jobs: JobSummaryView[] }) {
  const { plugin: p } = props;
  const headingId = `plugin-${props.index}`;
  return (
    <section class="card" aria-labelledby={headingId}>
      <h2 id={headingId}>{p.name} <span class="hint">{p.version}</span></h2>
      <dl class="facts">
        <dt>Loaded from</dt><dd>{p.builtin ? 'built in' : p.source}</dd>
        <dt>Plugin API</dt><dd>{String(p.apiVersion)}</dd>
        <dt>Connectors</dt><dd>{p.connectors.length ? p.connectors.join(', ') : '—'}</dd>
        <dt>Sinks</dt><dd>{p.sinks.length ? p.sinks.join(', ') : '—'}</dd>
      </dl>
      <h3>Actions ({p.actions.length})</h3>
      {p.actions.length === 0 ? <p class="hint">None.</p> : (
        <div class="cards">
          {p.actions.map((a, j) => <ActionForm c={props.c} plugin={p} action={a} schema={paramsSchema(props.spec, a.path)} index={`${props.index}-${j}`} />)}
        </div>
      )}
      {props.jobs.length > 0 && (
        <table aria-label={`Recent jobs of ${p.name}`}>
          <thead><tr><th scope="col">Job</th><th scope="col">Action</th><th scope="col">Status</th><th scope="col">Created</th></tr></thead>
          <tbody>{props.jobs.map((j) => <tr><td><a href={jobUrl(j.id)}>{String(j.id).slice(0, 8)}</a></td><td>{j.action}</td><td>{j.status}</td><td>{when(j.createdAt)}</td></tr>)}</tbody>
        </table>
      )}
      <h3>Hooks ({p.hooks.length})</h3>
      {p.hooks.length === 0 ? <p class="hint">None.</p> : (
        <table aria-label={`Hooks of ${p.name} and their recent runs`}>
          <thead><tr><th scope="col">Hook</th><th scope="col">Runs on</th><th scope="col">Recent runs</th></tr></thead>
          <tbody>
            {p.hooks.map((h) => {
              const runs = props.hookRuns.get(`${p.name}/${h.name}`) ?? [];
              return (
                <tr class="hook" data-hook={h.name}>
                  <td>{h.name}</td><td><code>{h.on}</code></td>
                  <td>{runs.length === 0 ? 'No runs yet.' : (
                    <ul class="runs">
                      {runs.map((r) => <li>{when(r.firedAt)}: <strong>{r.status}</strong>{r.attempts > 1 ? ` after ${r.attempts} attempts` : ''}{r.error ? ` — ${r.error}` : ''}</li>)}
                    </ul>
                  )}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** A job's live status (GET /jobs/{id}): re-fetched every second by htmx until it ends. */
function JobStatus(props: { answer: ApiAnswer<JobView>; id: string }) {
  const { answer } = props;
  if (!answer.ok) return <p class="error" role="alert" id="job-status">{describeError(answer)}</p>;
  const job = answer.body;
  const live = job.status === 'queued' || job.status === 'running';
  const entries = job.entries.slice(-20);
  // The action's return value: JSON the API declares no schema for.
  const result = job.result as JsonValue | undefined;
  return (
    <div id="job-status" class="card" role="status" aria-live="polite" data-status={job.status}
      {...(live ? { 'hx-get': `${jobUrl(props.id)}?fragment=1`, 'hx-trigger': 'every 1s', 'hx-swap': 'outerHTML' } : {})}>
      <p>Status: <strong>{job.status}</strong></p>
      {typeof job.progress === 'number' && <progress aria-label="Progress" max={100} value={Math.round(job.progress * 100)}>{Math.round(job.progress * 100)}%</progress>}
      {job.error && <p class="error" role="alert">{String(job.error)}</p>}
      {result !== null && result !== undefined && (
        <dl class="facts" id="job-result">
          {typeof result === 'object'
            ? Object.entries(result).map(([k, v]) => <><dt>{humanize(k)}</dt><dd>{typeof v === 'object' ? JSON.stringify(v) : String(v)}</dd></>)
            : <><dt>Result</dt><dd>{String(result)}</dd></>}
        </dl>
      )}
      {entries.length > 0 && <ol class="entries">{entries.map((e) => <li>{when(e.at)}: {e.message}</li>)}</ol>}
      <p class="hint">Workflow <code>action/{job.id}</code> · started {when(job.startedAt)} · finished {when(job.finishedAt)}</p>
    </div>
  );
}

/** The Plugins page: what each loaded plugin provides, its actions runnable from a form, its hooks' recent runs. */
export function pluginRoutes() {
  return new Hono<ConsoleEnv>()
    .get('/', async (c) => {
      const call = c.get('call');
      const { plugins, answer, spec } = await loadPlugins(call);
      if (!plugins) return c.html(<Page c={c} title="Plugins" current={ui('/plugins')}><p class="error" role="alert">{describeError(answer)}</p></Page>, 502);
      const { hookRuns, jobs } = await recentActivity(call, plugins);
      return c.html(
        <Page c={c} title="Plugins" current={ui('/plugins')}>
          <p>Plugins load at boot from <code>TRACKBRIDGE_PLUGINS</code>; the built-in connectors are the core's own plugin. Running an action starts a job on a worker.</p>
          {plugins.map((p, i) => <PluginSection c={c} plugin={p} index={i} spec={spec} hookRuns={hookRuns} jobs={jobs.get(p.name) ?? []} />)}
        </Page>,
      );
    })
    .post('/:plugin/actions/:action', async (c) => {
      const plugin = c.req.param('plugin');
      const action = c.req.param('action');
      const call = c.get('call');
      const { plugins, spec } = await loadPlugins(call);
      const declared = plugins?.find((p) => p.name === plugin)?.actions.find((a) => a.name === action);
      if (!declared) return back(c, ui('/plugins'), { error: `No action ${action} in plugin ${plugin}.` });
      const form = await c.req.parseBody();
      const started = await call<StartedJobView>('POST', declared.path, valuesFromForm(paramsSchema(spec, declared.path), form, 'params'));
      if (!started.ok) return back(c, ui('/plugins'), { error: `${action} not started: ${describeError(started)}` });
      return back(c, jobUrl(started.body.jobId), { notice: `${action} started.` });
    })
    .get('/jobs/:id', async (c) => {
      const id = c.req.param('id');
      const job = await c.get('call')<JobView>('GET', `/jobs/${encodeURIComponent(id)}`);
      const status = <JobStatus answer={job} id={id} />;
      if (c.req.query('fragment') === '1') return c.html(status);
      const title = job.ok ? `Job: ${job.body.plugin} ${job.body.action}` : 'Job';
      return c.html(
        <Page c={c} title={title} current={ui('/plugins')}>
          {status}
          <p><a href={ui('/plugins')}>Back to the plugins</a></p>
        </Page>,
      );
    });
}
