import { Hono } from 'hono';
import type { ApiPage, BindingView, ProjectView, StoryListView, StoryView } from '../api-types';
import { describeError } from '../client';
import { type ConsoleEnv, back, ui } from '../context';
import { Page, WriteForm, when } from '../layout';

/** Projects with their bindings, a project's stories, creating a project, and signing out. */
export function homeRoutes() {
  return new Hono<ConsoleEnv>()
    .get('/', async (c) => {
      const call = c.get('call');
      const [projects, bindings] = await Promise.all([call<ApiPage<ProjectView>>('GET', '/projects'), call<ApiPage<BindingView>>('GET', '/bindings')]);
      const byProject = new Map<string, BindingView[]>();
      for (const b of bindings.ok ? bindings.body.items : []) byProject.set(b.projectId, [...(byProject.get(b.projectId) ?? []), b]);
      return c.html(
        <Page c={c} title="Projects" current={ui()}>
          <table>
            <caption class="sr-only">Hub projects and their bindings</caption>
            <thead><tr><th scope="col">Key</th><th scope="col">Name</th><th scope="col">Bindings</th></tr></thead>
            <tbody>
              {(projects.ok ? projects.body.items : []).map((p) => (
                <tr>
                  <td><a href={ui(`/projects/${p.id}`)}>{p.key}</a></td>
                  <td>{p.name}</td>
                  <td>
                    {(byProject.get(p.id) ?? []).map((b) => <div><a href={ui(`/bindings/${b.id}`)}>{b.connector}: {b.scope}</a> ({b.state})</div>)}
                    {!byProject.get(p.id)?.length && <a href={ui(`/bindings/new?project=${p.id}`)}>Bind it to a remote…</a>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <h2>New project</h2>
          <ProjectForm c={c} />
        </Page>,
      );
    })
    .get('/projects/:id', async (c) => {
      const call = c.get('call');
      const id = c.req.param('id');
      const [project, stories, bindings] = await Promise.all([
        call<ProjectView>('GET', `/projects/${id}`), call<StoryListView>('GET', `/projects/${id}/stories?limit=200`), call<ApiPage<BindingView>>('GET', `/bindings?projectId=${id}`),
      ]);
      if (!project.ok) return c.html(<Page c={c} title="Project"><p class="error" role="alert">{describeError(project)}</p></Page>, 404);
      return c.html(
        <Page c={c} title={`${project.body.key}: ${project.body.name}`}>
          <h2>Bindings</h2>
          <ul>{(bindings.ok ? bindings.body.items : []).map((b) => <li><a href={ui(`/bindings/${b.id}`)}>{b.connector}: {b.scope}</a> ({b.state})</li>)}</ul>
          <p><a href={ui(`/bindings/new?project=${id}`)}>Bind to another remote…</a></p>
          <h2>Stories ({stories.ok ? stories.body.total : 0})</h2>
          <StoryTable stories={stories.ok ? stories.body.items : []} />
        </Page>,
      );
    })
    .post('/projects', async (c) => {
      const form = await c.req.parseBody();
      const answer = await c.get('call')<ProjectView>('POST', '/projects', { key: String(form.key ?? '').trim(), name: String(form.name ?? '').trim() });
      const to = typeof form.return === 'string' && form.return.startsWith('/ui') ? form.return : ui();
      if (!answer.ok) return back(c, to, { error: `Project not created: ${describeError(answer)}` });
      const sep = to.includes('?') ? '&' : '?';
      return back(c, to.includes('project=') ? to : `${to}${sep}project=${answer.body.id}`, { notice: `Project ${answer.body.key} created.` });
    })
    .post('/sign-out', async (c) => {
      const answer = await c.get('call')('DELETE', '/session');
      for (const cookie of answer.headers.getSetCookie()) c.header('set-cookie', cookie, { append: true });
      return c.redirect(ui('/sign-in'), 303);
    });
}

export function ProjectForm(props: { c: Parameters<typeof WriteForm>[0]['c']; returnTo?: string }) {
  return (
    <WriteForm c={props.c} action={ui('/projects')} label="Create project">
      {props.returnTo && <input type="hidden" name="return" value={props.returnTo} />}
      <label for="project-key">Key</label>
      <p class="hint" id="project-key-hint">2-20 upper-case letters, digits or _, e.g. WEB</p>
      <input id="project-key" name="key" type="text" required pattern="[A-Z][A-Z0-9_]{1,19}" aria-describedby="project-key-hint" />
      <label for="project-name">Name</label>
      <input id="project-name" name="name" type="text" required />
      <p></p>
    </WriteForm>
  );
}

export function StoryTable(props: { stories: StoryView[] }) {
  return (
    <table>
      <thead><tr><th scope="col">Title</th><th scope="col">Status</th><th scope="col">Priority</th><th scope="col">Assignee</th><th scope="col">Updated</th></tr></thead>
      <tbody>
        {props.stories.map((s) => (
          <tr>
            <td><a href={ui(`/stories/${s.id}`)}>{s.title || '(untitled)'}</a></td>
            <td>{s.status}{s.closed ? ' (closed)' : ''}</td><td>{s.priority ?? '—'}</td><td>{s.assignee ?? '—'}</td><td>{when(s.updatedAt)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
