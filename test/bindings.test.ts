import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitHubDouble, type GitHubDouble } from './support/github-double';
import { startStack, type Stack } from './support/scenario';
import { eventually } from './support/harness';
import { pollerStateQuery, pollerWorkflowId } from '../workflows/contract';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('bindings: scopes, pull timer lifecycle, validation', () => {
  let stack: Stack;
  let gh: GitHubDouble;

  beforeAll(async () => {
    stack = await startStack();
    gh = await startGitHubDouble({ login: 'octocat' });
    gh.createRepo('octocat/hello');
    gh.createRepo('acme/site');
  });
  afterAll(async () => {
    await gh?.close();
    await stack?.stop();
  });

  it('lists remote scopes grouped by owner, through a workflow', async () => {
    const connection = await stack.post('/connections', { connector: 'github', name: 'gh', config: { baseUrl: gh.url }, secrets: { token: gh.token } });
    const scopes = await stack.get(`/connections/${connection.id}/scopes`);
    const ids = scopes.items.flatMap((g: Json) => g.scopes.map((s: Json) => s.id));
    expect(ids).toEqual(expect.arrayContaining(['octocat/hello']));
    expect(scopes.items.map((g: Json) => g.group)).toContain('octocat');
  });

  it('pauses, resumes and deletes a binding together with its pull timer', async () => {
    const { binding } = await stack.bind('github', { baseUrl: gh.url }, { token: gh.token }, 'octocat/hello');
    const timer = stack.client.workflow.getHandle(pollerWorkflowId(binding.id));
    const state = () => timer.query(pollerStateQuery);
    const first = await eventually(async () => (await state()).nextPullAt ?? undefined, 30_000, 100);
    expect((await state()).paused).toBe(false);
    // Half to one interval (an hour here) from now: a new timer's first wait is spread at random.
    expect(Date.parse(first) - Date.now()).toBeGreaterThan(1790 * 1000);
    expect(Date.parse(first) - Date.now()).toBeLessThanOrEqual(3600 * 1000);

    await stack.post(`/bindings/${binding.id}/pause`);
    await eventually(async () => (await state()).paused || undefined, 10_000, 50);
    const paused = await stack.get(`/bindings/${binding.id}`);
    expect(paused).toMatchObject({ state: 'paused', status: 'Paused: by an operator', nextPullAt: null });
    expect((await stack.api.call('POST', `/bindings/${binding.id}/pull`)).status).toBe(409);

    await stack.post(`/bindings/${binding.id}/resume`);
    await eventually(async () => ((await state()).paused ? undefined : true), 10_000, 50);
    expect(await eventually(async () => (await stack.get(`/bindings/${binding.id}`)).nextPullAt ?? undefined, 10_000, 50)).not.toBeNull();

    expect((await stack.api.call('DELETE', `/bindings/${binding.id}`)).status).toBe(200);
    expect((await timer.describe()).status.name).toBe('TERMINATED');
    expect((await stack.api.call('GET', `/bindings/${binding.id}`)).status).toBe(404);
    expect((await stack.api.call('POST', `/bindings/${binding.id}/resume`)).status).toBe(404);
  });

  it('rejects a bad binding with the field at fault and creates no pull timer', async () => {
    const project = await stack.post('/projects', { key: 'BADB', name: 'Bad binding' });
    const connection = await stack.post('/connections', { connector: 'github', name: 'gh2', config: { baseUrl: gh.url }, secrets: { token: gh.token } });
    const tooFast = await stack.api.call('POST', '/bindings', { projectId: project.id, connectionId: connection.id, scope: 'acme/site', pullIntervalSeconds: 1 });
    expect(tooFast.status).toBe(400);
    expect(((await tooFast.json()) as Json).error.fields[0].path).toBe('pullIntervalSeconds');
    const unknown = await stack.api.call('POST', '/bindings', { projectId: project.id, connectionId: '00000000-0000-4000-8000-000000000000', scope: 'acme/site' });
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as Json).error.fields[0].path).toBe('connectionId');
    expect((await stack.get(`/bindings?projectId=${project.id}`)).items).toHaveLength(0);
  });
});
