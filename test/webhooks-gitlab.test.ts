import { fileURLToPath } from 'node:url';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { externalLinks, runs, stories } from '../db/schema';
import { installPlugin } from '../plugins/registry';
import { pullItemWorkflowId } from '../workflows/contract';
import gitlabPlugin from '../packages/connector-gitlab/src/index';
import { startGitLabDouble, type GitLabDouble } from '../packages/connector-gitlab/test/support/gitlab-double';
import { startStack, type Stack } from './support/scenario';

const ENTRY = fileURLToPath(new URL('../packages/connector-gitlab/src/index.ts', import.meta.url));

/**
 * Issue 26: the GitLab plugin package brings its own webhooks (`Issue Hook`, `Note Hook`, the secret as is
 * in `X-Gitlab-Token`) through the connector's declaration: the platform serves `/webhooks/gitlab/<connection>`
 * with no code that names GitLab, and a delivery fetches the issue rather than trusting the payload.
 */
describe('GitLab webhooks in (plugin package, GitLab double, real Temporal and Postgres)', { timeout: 120_000 }, () => {
  let stack: Stack;
  let gl: GitLabDouble;
  let bound: Awaited<ReturnType<Stack['bind']>>;
  let secret: string;
  let path: string;
  const project = 'acme/hooks';
  let iid: string;

  const titleOf = async (remoteId: string) => {
    const [row] = await stack.database.db.select({ title: stories.title }).from(stories)
      .innerJoin(externalLinks, eq(externalLinks.storyId, stories.id))
      .where(and(eq(externalLinks.bindingId, bound.binding.id), eq(externalLinks.remoteId, remoteId)));
    return row?.title;
  };
  const deliver = (body: unknown, token: string, event = 'Issue Hook') =>
    stack.api.app.request(path, { method: 'POST', headers: { 'content-type': 'application/json', 'x-gitlab-token': token, 'x-gitlab-event': event }, body: JSON.stringify(body) });

  beforeAll(async () => {
    installPlugin(gitlabPlugin, ENTRY);
    gl = await startGitLabDouble();
    gl.createProject(project);
    [iid] = gl.seed(project, 1) as [string];
    stack = await startStack();
    bound = await stack.bind('gitlab', { baseUrl: gl.url, overlapSeconds: 1 }, { token: gl.token }, project);
    expect((await stack.initialSync(bound.binding.id)).run.status).toBe('completed');
    const generated = await stack.post(`/connections/${bound.connection.id}/webhook-secret`, undefined, [201]);
    secret = generated.webhookSecret;
    path = generated.urls.gitlab;
  });
  afterAll(async () => {
    await stack?.stop();
    await gl?.close();
  });

  it('an Issue Hook with the secret token brings the edit into the hub with no pull; a wrong token is refused', async () => {
    expect(path).toBe(`/webhooks/gitlab/${bound.connection.id}`);
    const pulls = await stack.database.db.$count(runs, and(eq(runs.bindingId, bound.binding.id), eq(runs.kind, 'pull')));
    gl.edit(project, iid, { title: 'Edited in GitLab' });
    // The payload lies about the title: the hub takes what GitLab answers to the fetch.
    const payload = { object_kind: 'issue', project: { path_with_namespace: project }, object_attributes: { iid: Number(iid), title: 'A lie' } };
    expect((await deliver(payload, 'not-the-secret')).status).toBe(401);
    expect(await titleOf(iid)).toBe('Seeded issue 1');
    const res = await deliver(payload, secret);
    expect(res.status).toBe(202);
    await stack.client.workflow.getHandle(pullItemWorkflowId(bound.binding.id, iid)).result();
    expect(await titleOf(iid)).toBe('Edited in GitLab');
    expect(await stack.database.db.$count(runs, and(eq(runs.bindingId, bound.binding.id), eq(runs.kind, 'pull')))).toBe(pulls);
  });

  it('a Note Hook fetches the issue and its new comment; a comment on a merge request is ignored', async () => {
    gl.note(project, iid, 'Reproduced on staging');
    const res = await deliver({ object_kind: 'note', project: { path_with_namespace: project }, object_attributes: { noteable_type: 'Issue' }, issue: { iid: Number(iid) } }, secret, 'Note Hook');
    expect(res.status).toBe(202);
    await stack.client.workflow.getHandle(pullItemWorkflowId(bound.binding.id, iid)).result();
    const [link] = await stack.database.db.select({ storyId: externalLinks.storyId }).from(externalLinks).where(and(eq(externalLinks.bindingId, bound.binding.id), eq(externalLinks.remoteId, iid)));
    const comments = (await stack.get(`/stories/${link!.storyId}/comments`)).items as Array<{ body: string }>;
    expect(comments.map((c) => c.body)).toContain('Reproduced on staging');
    const mr = await deliver({ object_kind: 'note', project: { path_with_namespace: project }, object_attributes: { noteable_type: 'MergeRequest' } }, secret, 'Note Hook');
    expect(mr.status).toBeLessThan(300);
    expect(await mr.json()).toEqual({ accepted: 0, reason: 'a comment on something other than an issue' });
    expect(gl.violations).toEqual([]);
  });
});
