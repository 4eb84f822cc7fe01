import { Hono } from 'hono';
import type { ApiPage, ConnectionView, ConnectorView, StartedRunView } from '../api-types';
import { describeError, isMissingRoute } from '../client';
import { type ConsoleContext, type ConsoleEnv, type ConsoleOptions, back, ui } from '../context';
import { Page, WriteForm, when } from '../layout';
import { RunStatus } from './run';
import { type JsonSchema, SchemaFields, valuesFromForm } from './schema-form';

async function connectors(c: ConsoleContext): Promise<ConnectorView[]> {
  const answer = await c.get('call')<ApiPage<ConnectorView>>('GET', '/connectors');
  return answer.ok ? answer.body.items : [];
}

/** Connectors and connections: list, create from the connector's JSON Schema, test, rotate secrets, delete. */
export function connectionRoutes(opts: Pick<ConsoleOptions, 'temporalUiUrl'> = {}) {
  return new Hono<ConsoleEnv>()
    .get('/', async (c) => {
      const [list, available] = await Promise.all([c.get('call')<ApiPage<ConnectionView>>('GET', '/connections'), connectors(c)]);
      const chosen = available.find((k) => k.slug === c.req.query('connector'));
      return c.html(
        <Page c={c} title="Connections" current={ui('/connections')}>
          <table>
            <thead><tr><th scope="col">Name</th><th scope="col">Connector</th><th scope="col">Base URL</th><th scope="col">Created</th><th scope="col">Actions</th></tr></thead>
            <tbody>
              {(list.ok ? list.body.items : []).map((k) => (
                <tr>
                  <td><a href={ui(`/connections/${k.id}`)}>{k.name}</a></td><td>{k.connector}</td><td>{String(k.config?.baseUrl ?? '—')}</td><td>{when(k.createdAt)}</td>
                  <td class="row">
                    <WriteForm c={c} inline action={ui(`/connections/${k.id}/test`)} label="Test" secondary />
                    <a href={ui(`/bindings/new?connection=${k.id}`)}>Bind…</a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <h2>New connection</h2>
          <form method="get" action={ui('/connections')} class="row">
            <label for="connector">Connector</label>
            <select id="connector" name="connector" class="wide">
              {available.map((k) => <option value={k.slug} selected={k.slug === chosen?.slug}>{k.name} ({k.slug})</option>)}
            </select>
            <button type="submit" class="secondary">Choose</button>
          </form>
          {chosen && (
            <WriteForm c={c} action={ui('/connections')} label={`Create ${chosen.name} connection`}>
              <input type="hidden" name="connector" value={chosen.slug} />
              <p class="hint">{chosen.description}</p>
              <label for="connection-name">Name</label>
              <input id="connection-name" name="name" type="text" required placeholder="Customer Redmine" />
              <SchemaFields schema={chosen.configSchema as JsonSchema} prefix="config" legend="Configuration" />
              <SchemaFields schema={chosen.secretsSchema as JsonSchema} prefix="secrets" secret legend="Credentials (stored encrypted, never shown again)" />
            </WriteForm>
          )}
        </Page>,
      );
    })
    .post('/', async (c) => {
      const form = await c.req.parseBody();
      const connector = (await connectors(c)).find((k) => k.slug === form.connector);
      if (!connector) return back(c, ui('/connections'), { error: 'Choose a connector.' });
      const answer = await c.get('call')<ConnectionView>('POST', '/connections', {
        connector: connector.slug, name: String(form.name ?? ''),
        config: valuesFromForm(connector.configSchema as JsonSchema, form, 'config'),
        secrets: valuesFromForm(connector.secretsSchema as JsonSchema, form, 'secrets'),
      });
      if (!answer.ok) return back(c, ui(`/connections?connector=${connector.slug}`), { error: `Connection not created: ${describeError(answer)}` });
      return back(c, ui(`/connections/${answer.body.id}`), { notice: `Connection "${answer.body.name}" created. Test it below.` });
    })
    .get('/:id', async (c) => {
      const id = c.req.param('id');
      const answer = await c.get('call')<ConnectionView>('GET', `/connections/${id}`);
      if (!answer.ok) return c.html(<Page c={c} title="Connection"><p class="error" role="alert">{describeError(answer)}</p></Page>, answer.status === 404 ? 404 : 502);
      const k = answer.body;
      const connector = (await connectors(c)).find((x) => x.slug === k.connector);
      const run = c.req.query('run');
      return c.html(
        <Page c={c} title={`Connection: ${k.name}`} current={ui('/connections')}>
          <dl class="facts">
            <dt>Connector</dt><dd>{k.connector}</dd>
            <dt>Config</dt><dd><pre>{JSON.stringify(k.config, null, 2)}</pre></dd>
            <dt>Updated</dt><dd>{when(k.updatedAt)}</dd>
          </dl>
          <div class="row">
            <WriteForm c={c} inline action={ui(`/connections/${id}/test`)} label="Test the connection" />
            <a class="button secondary" href={ui(`/bindings/new?connection=${id}`)}>Bind a project through it…</a>
          </div>
          {run && <RunStatus call={c.get('call')} workflowId={run} label="Connection test" temporalUiUrl={opts.temporalUiUrl} />}
          {connector && (
            <>
              <h2>Rotate credentials</h2>
              <p class="hint">The new credentials are tested before they are saved; the old ones stay until then.</p>
              <WriteForm c={c} action={ui(`/connections/${id}/secrets`)} label="Save new credentials">
                <SchemaFields schema={connector.secretsSchema as JsonSchema} prefix="secrets" secret legend="New credentials" />
              </WriteForm>
            </>
          )}
          <h2>Delete</h2>
          <p class="hint">Refused while bindings use this connection.</p>
          <WriteForm c={c} action={ui(`/connections/${id}/delete`)} label="Delete connection" danger />
        </Page>,
      );
    })
    .post('/:id/test', async (c) => {
      const id = c.req.param('id');
      const answer = await c.get('call')<StartedRunView>('POST', `/connections/${id}/test`);
      if (!answer.ok) return back(c, ui(`/connections/${id}`), { error: `Test not started: ${describeError(answer)}` });
      return back(c, ui(`/connections/${id}?run=${encodeURIComponent(answer.body.workflowId)}`), { notice: 'Test started.' });
    })
    .post('/:id/secrets', async (c) => {
      const id = c.req.param('id');
      const form = await c.req.parseBody();
      const k = await c.get('call')<ConnectionView>('GET', `/connections/${id}`);
      const connector = k.ok ? (await connectors(c)).find((x) => x.slug === k.body.connector) : undefined;
      if (!connector) return back(c, ui(`/connections/${id}`), { error: describeError(k) });
      const answer = await c.get('call')('PATCH', `/connections/${id}`, { secrets: valuesFromForm(connector.secretsSchema as JsonSchema, form, 'secrets') });
      if (isMissingRoute(answer)) return back(c, ui(`/connections/${id}`), { error: 'This server has no PATCH /connections/{id}: credentials cannot be rotated here yet.' });
      if (!answer.ok) return back(c, ui(`/connections/${id}`), { error: `Credentials not changed: ${describeError(answer)}` });
      return back(c, ui(`/connections/${id}`), { notice: 'New credentials tested and saved.' });
    })
    .post('/:id/delete', async (c) => {
      const id = c.req.param('id');
      const answer = await c.get('call')('DELETE', `/connections/${id}`);
      if (isMissingRoute(answer)) return back(c, ui(`/connections/${id}`), { error: 'This server has no DELETE /connections/{id} yet.' });
      if (answer.status === 409) return back(c, ui(`/connections/${id}`), { error: `Not deleted, the connection is in use: ${describeError(answer)}` });
      if (!answer.ok) return back(c, ui(`/connections/${id}`), { error: `Not deleted: ${describeError(answer)}` });
      return back(c, ui('/connections'), { notice: 'Connection deleted.' });
    });
}
