import { ScheduleNotFoundError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitHubDouble, type GitHubDouble } from './support/github-double';
import { startStack, type Stack } from './support/scenario';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('bindings: scopes, schedule lifecycle, validation', () => {
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

  it('pauses, resumes and deletes a binding together with its pull schedule', async () => {
    const { binding } = await stack.bind('github', { baseUrl: gh.url }, { token: gh.token }, 'octocat/hello');
    const schedule = stack.client.schedule.getHandle(`pull/${binding.id}`);
    const described = await schedule.describe();
    expect(described.state.paused).toBe(false);
    expect(described.spec.intervals?.[0]?.every).toBe(3600 * 1000);

    await stack.post(`/bindings/${binding.id}/pause`);
    expect((await schedule.describe()).state.paused).toBe(true);
    const paused = await stack.get(`/bindings/${binding.id}`);
    expect(paused).toMatchObject({ state: 'paused', status: 'Paused: by an operator', nextPullAt: null });
    expect((await stack.api.call('POST', `/bindings/${binding.id}/pull`)).status).toBe(409);

    await stack.post(`/bindings/${binding.id}/resume`);
    expect((await schedule.describe()).state.paused).toBe(false);
    expect((await stack.get(`/bindings/${binding.id}`)).nextPullAt).not.toBeNull();

    expect((await stack.api.call('DELETE', `/bindings/${binding.id}`)).status).toBe(200);
    await expect(schedule.describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
    expect((await stack.api.call('GET', `/bindings/${binding.id}`)).status).toBe(404);
    expect((await stack.api.call('POST', `/bindings/${binding.id}/resume`)).status).toBe(404);
  });

  it('rejects a bad binding with the field at fault and creates no schedule', async () => {
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
