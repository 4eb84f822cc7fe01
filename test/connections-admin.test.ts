import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bindings, connections, stories } from '../db/schema';
import { startGitHubDouble, type GitHubDouble } from './support/github-double';
import { eventually, testSecretBox } from './support/harness';
import { startStack, type Stack } from './support/scenario';

const REPO = 'octo/admin';

/** PATCH and DELETE of connections and projects, over the real API, worker, Temporal and Postgres, against the GitHub double. */
describe('connection and project administration', () => {
  let stack: Stack;
  let gh: GitHubDouble;
  let bound: Awaited<ReturnType<Stack['bind']>>;

  const call = async (method: string, path: string, body?: unknown) => {
    const res = await stack.api.call(method, path, body);
    const text = await res.text();
    return { status: res.status, text, body: text ? (JSON.parse(text) as Record<string, any>) : undefined }; // eslint-disable-line @typescript-eslint/no-explicit-any
  };
  const storedRow = async (id: string) => (await stack.database.db.select().from(connections).where(eq(connections.id, id)))[0]!;
  const storedSecrets = async (id: string) => testSecretBox.open<Record<string, unknown>>((await storedRow(id)).secretsSealed);

  beforeAll(async () => {
    stack = await startStack();
    gh = await startGitHubDouble();
    gh.createRepo(REPO);
    gh.seedIssues(REPO, 3);
    bound = await stack.bind('github', { baseUrl: gh.url }, { token: gh.token }, REPO);
    expect((await stack.initialSync(bound.binding.id)).run.status).toBe('completed');
  });
  afterAll(async () => {
    await gh?.close();
    await stack?.stop();
  });

  it('refuses an invalid PATCH with a 4xx naming the field, and writes nothing', async () => {
    const id: string = bound.connection.id;
    const before = await storedRow(id);
    const cases: Array<[unknown, string]> = [
      [{}, '(root)'],
      [{ nmae: 'typo' }, '(root)'],
      [{ name: '' }, 'name'],
      [{ config: { baseUrl: 'ftp://example.com' } }, 'config.baseUrl'],
      [{ config: { maxRequestsPerSecond: -1 } }, 'config.maxRequestsPerSecond'],
      [{ config: { baseUrl: 'http://169.254.169.254/' } }, 'config.baseUrl'],
      [{ secrets: { token: '' } }, 'secrets.token'],
      [{ secrets: { token: null } }, 'secrets.token'],
      [{ secrets: { password: 'x' } }, 'secrets'],
      [{ secrets: { webhookSecret: 'short' } }, 'secrets.webhookSecret'],
    ];
    gh.resetRequests();
    for (const [body, path] of cases) {
      const res = await call('PATCH', `/connections/${id}`, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body?.error.fields.map((f: { path: string }) => f.path).join(' '), JSON.stringify(body)).toContain(path);
    }
    expect(await storedRow(id)).toEqual(before);
    // Refused at the edge: nothing reached the remote.
    expect(gh.requests()).toHaveLength(0);
    expect((await call('PATCH', '/connections/00000000-0000-4000-8000-000000000000', { name: 'x' })).status).toBe(404);
  });

  it('renames without a remote test, and keeps the secrets', async () => {
    const id: string = bound.connection.id;
    gh.resetRequests();
    const res = await call('PATCH', `/connections/${id}`, { name: 'Renamed' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id, name: 'Renamed', connector: 'github' });
    expect(gh.requests()).toHaveLength(0);
    expect(await storedSecrets(id)).toEqual({ token: gh.token });
  });

  it('refuses a rotation the remote rejects (nothing saved, the old key keeps working), then rotates and the next pull uses the new key', async () => {
    const id: string = bound.connection.id;
    const oldToken = gh.token;
    const newToken = `ghp_rotated_${Date.now().toString(36)}`;
    const before = await storedRow(id);

    // The double accepts only its current token: the new one is refused by the test before anything is saved.
    const refused = await call('PATCH', `/connections/${id}`, { name: 'Should not stick', secrets: { token: newToken } });
    expect(refused.status).toBe(400);
    expect(refused.body?.error).toMatchObject({ code: 'connection_test_failed', fields: [{ path: 'secrets' }] });
    expect(refused.text).not.toContain(newToken);
    expect(await storedRow(id)).toEqual(before);
    expect((await stack.pullNow(bound.binding.id)).status).toBe('completed');

    // The remote now takes the new token only: the old one would fail a pull.
    gh.setToken(newToken);
    const rotated = await call('PATCH', `/connections/${id}`, { secrets: { token: newToken, webhookSecret: 'a-webhook-secret-of-length' } });
    expect(rotated.status).toBe(200);
    expect(rotated.text).not.toContain(newToken);
    expect(rotated.text).not.toContain('a-webhook-secret-of-length');
    expect(await storedSecrets(id)).toEqual({ token: newToken, webhookSecret: 'a-webhook-secret-of-length' });

    gh.resetRequests();
    const target = gh.listIssues(REPO).find((i) => !i.pull_request)!;
    gh.editIssue(REPO, target.number, { title: 'Edited after the rotation' });
    const run = await stack.pullNow(bound.binding.id);
    expect(run).toMatchObject({ status: 'completed', counts: { updated: 1, failed: 0 } });
    expect(gh.requests().length).toBeGreaterThan(0);
    expect(gh.requests().every((r) => r.status !== 401)).toBe(true);
    expect(oldToken).not.toBe(newToken);

    // Merge semantics: a key given replaces, the others are kept, null removes one.
    const dropped = await call('PATCH', `/connections/${id}`, { secrets: { webhookSecret: null } });
    expect(dropped.status).toBe(200);
    expect(await storedSecrets(id)).toEqual({ token: newToken });
    // Secrets are never shown, and the tests' workflow histories hold them sealed only.
    for (const path of [`/connections/${id}`, '/connections']) expect((await call('GET', path)).text).not.toContain(newToken);
    const tests = await eventually(async () => {
      const found = [];
      for await (const w of stack.client.workflow.list({ query: `WorkflowType = 'connectionTest' AND WorkflowId STARTS_WITH 'connection-test/${id}/'` })) found.push(w.workflowId);
      return found.length >= 2 ? found : undefined;
    });
    for (const workflowId of tests) {
      const history = await stack.client.workflow.getHandle(workflowId).fetchHistory();
      const payloads = (history.events ?? []).flatMap((e) => [
        ...(e.workflowExecutionStartedEventAttributes?.input?.payloads ?? []),
        ...(e.activityTaskScheduledEventAttributes?.input?.payloads ?? []),
      ]).map((p) => Buffer.from(p.data ?? new Uint8Array()).toString('utf8'));
      // The connection id in the clear, the candidate sealed, the token nowhere.
      expect(payloads).toContain(JSON.stringify(id));
      expect(payloads.some((p) => p.startsWith('"v1.'))).toBe(true);
      expect(payloads.join('\n')).not.toContain(newToken);
    }
  });

  it('tests a config change before saving it: an unreachable base URL is refused, naming config', async () => {
    const id: string = bound.connection.id;
    const before = await storedRow(id);
    const res = await call('PATCH', `/connections/${id}`, { config: { baseUrl: 'http://127.0.0.1:9/', timeoutSeconds: 2 } });
    expect(res.status).toBe(400);
    expect(res.body?.error).toMatchObject({ code: 'connection_test_failed', fields: [{ path: 'config' }] });
    expect(await storedRow(id)).toEqual(before);

    const ok = await call('PATCH', `/connections/${id}`, { config: { maxRequestsPerSecond: 20 } });
    expect(ok.status).toBe(200);
    expect(ok.body?.config).toMatchObject({ baseUrl: gh.url, maxRequestsPerSecond: 20 });
  });

  it('projects: renames; changes the key only while unbound; refuses a taken or invalid key', async () => {
    const pid: string = bound.project.id;
    expect((await call('PATCH', `/projects/${pid}`, { name: 'Website (renamed)' })).body).toMatchObject({ id: pid, name: 'Website (renamed)', key: bound.project.key });
    const bad = await call('PATCH', `/projects/${pid}`, { key: 'lower' });
    expect(bad.status).toBe(400);
    expect(bad.body?.error.fields[0].path).toBe('key');
    const inUse = await call('PATCH', `/projects/${pid}`, { key: 'NEWKEY' });
    expect(inUse.status).toBe(409);
    expect(inUse.body?.error.fields[0]).toMatchObject({ path: 'key' });
    expect(inUse.body?.error.fields[0].message).toContain(bound.binding.id);

    const other = await call('POST', '/projects', { key: 'FREEKEY', name: 'Free' });
    const taken = await call('PATCH', `/projects/${other.body?.id}`, { key: bound.project.key });
    expect(taken.status).toBe(409);
    expect(taken.body?.error.fields[0].path).toBe('key');
    const moved = await call('PATCH', `/projects/${other.body?.id}`, { key: 'FREEKEY2' });
    expect(moved.body).toMatchObject({ key: 'FREEKEY2', name: 'Free' });
    expect((await call('DELETE', `/projects/${other.body?.id}`)).status).toBe(204);
    expect((await call('GET', `/projects/${other.body?.id}`)).status).toBe(404);
  });

  it('DELETE answers 409 with the bindings while they use the connection or the project, then deletes', async () => {
    const id: string = bound.connection.id;
    const pid: string = bound.project.id;
    const used = await call('DELETE', `/connections/${id}`);
    expect(used.status).toBe(409);
    expect(used.body).toMatchObject({ error: { code: 'in_use' }, bindings: [bound.binding.id] });
    const projectUsed = await call('DELETE', `/projects/${pid}`);
    expect(projectUsed.status).toBe(409);
    expect(projectUsed.body).toMatchObject({ bindings: [bound.binding.id], sinks: [] });
    expect(projectUsed.body?.stories).toBeGreaterThan(0);

    expect((await call('DELETE', `/bindings/${bound.binding.id}`)).status).toBe(200);
    // The deleted binding's row goes with the connection; the project's stories stay.
    expect((await call('DELETE', `/connections/${id}`)).status).toBe(204);
    expect((await call('GET', `/connections/${id}`)).status).toBe(404);
    expect(await stack.database.db.$count(bindings, eq(bindings.connectionId, id))).toBe(0);
    const storyCount = await stack.database.db.$count(stories, eq(stories.projectId, pid));
    expect(storyCount).toBeGreaterThan(0);
    expect((await call('DELETE', `/connections/${id}`)).status).toBe(404);

    // A project with stories goes only when told to take them along.
    const withStories = await call('DELETE', `/projects/${pid}`);
    expect(withStories.status).toBe(409);
    expect(withStories.body).toMatchObject({ bindings: [], sinks: [], stories: storyCount });
    expect((await call('DELETE', `/projects/${pid}?deleteStories=true`)).status).toBe(204);
    expect(await stack.database.db.$count(stories, eq(stories.projectId, pid))).toBe(0);
  });
});
