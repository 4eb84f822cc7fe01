import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultFieldRules } from '../rules';
import { installPlugin } from '../plugins/registry';
import gitlabPlugin from '../packages/connector-gitlab/src/index';
import { startGitLabDouble, type GitLabDouble } from '../packages/connector-gitlab/test/support/gitlab-double';
import { eventually } from './support/harness';
import { startStack, type Stack } from './support/scenario';
import { pushSettled } from './support/settle';

const ENTRY = fileURLToPath(new URL('../packages/connector-gitlab/src/index.ts', import.meta.url));

/**
 * Issue 26.1: GitLab's scoped labels (`priority::high`) carry a hub field through a `prefix` rule, both
 * ways, through the engine: the plain labels rule leaves them alone, and GitLab keeps one label per scope.
 */
describe('GitLab scoped labels through a prefix rule (plugin package, GitLab double, real Temporal and Postgres)', { timeout: 120_000 }, () => {
  let stack: Stack;
  let gl: GitLabDouble;
  let bindingId: string;
  let projectId: string;
  const path = 'acme/scoped';

  beforeAll(async () => {
    installPlugin(gitlabPlugin, ENTRY);
    gl = await startGitLabDouble();
    gl.createProject(path);
    stack = await startStack();
    const bound = await stack.bind('gitlab', { baseUrl: gl.url, overlapSeconds: 1 }, { token: gl.token }, path);
    bindingId = bound.binding.id as string;
    projectId = bound.project.id as string;
    const rules = { fields: [
      ...defaultFieldRules('gitlab').filter((r) => r.hub !== 'priority'),
      { hub: 'priority', remote: 'labels', prefix: 'priority::', kind: 'two_way' },
    ] };
    const res = await stack.api.call('PUT', `/bindings/${bindingId}/rules`, rules);
    expect(res.status).toBe(200);
    expect((await stack.initialSync(bindingId)).run.status).toBe('completed');
  });
  afterAll(async () => {
    await stack?.stop();
    await gl?.close();
  });

  it("writes the hub's priority as the scoped label beside the plain ones, and takes a GitLab user's pick back", async () => {
    const story = await stack.post(`/projects/${projectId}/stories`, { title: 'Checkout fails', priority: 'high', labels: ['bug'] });
    const issue = await eventually(async () => gl.issues(path).find((i) => i.title === 'Checkout fails'), 60_000, 200);
    expect(issue.labels).toEqual(['bug', 'priority::high']);
    await pushSettled(stack, bindingId, story.id as string, 60_000);

    // A GitLab user picks another priority: the scoped label replaces the other one of its scope.
    gl.edit(path, String(issue.iid), { labels: ['bug', 'priority::high', 'priority::low'] });
    expect(gl.issue(path, String(issue.iid))?.labels).toEqual(['bug', 'priority::low']);
    await stack.pullNow(bindingId, 60_000);
    await pushSettled(stack, bindingId, story.id as string, 60_000);
    const back = await stack.get(`/stories/${story.id as string}`);
    expect({ priority: back.priority, labels: back.labels }).toEqual({ priority: 'low', labels: ['bug'] });
    expect(gl.issue(path, String(issue.iid))?.labels).toEqual(['bug', 'priority::low']);
    expect(gl.violations).toEqual([]);
  });
});
