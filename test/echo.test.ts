import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitHubDouble, type GitHubDouble } from './support/github-double';
import { eventually } from './support/harness';
import { createProject, editIssue, ensureRedmine, getIssue, type Redmine } from './support/redmine';
import { startStack, type Stack } from './support/scenario';
import { pushSettled } from './support/settle';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const REPO = 'octo/echo';

/** E1 and fan-out: Redmine ↔ hub ↔ GitHub, an edit crosses once and nothing bounces back. */
describe('echo prevention and fan-out (real Redmine, GitHub double)', { timeout: 240_000 }, () => {
  let stack: Stack;
  let gh: GitHubDouble;
  let redmine: Redmine;

  beforeAll(async () => {
    redmine = await ensureRedmine();
    gh = await startGitHubDouble();
    gh.createRepo(REPO);
    stack = await startStack();
  });
  afterAll(async () => {
    await gh?.close();
    await stack?.stop();
  });

  it('an edit made in Redmine reaches GitHub exactly once, and neither side sees a further change in two more pull cycles', async () => {
    const rmProject = (await createProject(redmine)).identifier;
    const rm = await stack.bind('redmine', { baseUrl: redmine.url }, { apiKey: redmine.apiKey }, rmProject);
    const connection = await stack.post('/connections', { connector: 'github', name: 'gh', config: { baseUrl: gh.url }, secrets: { token: gh.token } });
    const ghBinding = await stack.post('/bindings', { projectId: rm.project.id, connectionId: connection.id, scope: REPO, pullIntervalSeconds: 3600 });

    const story = await stack.post(`/projects/${rm.project.id}/stories`, { title: 'Shared story', description: 'On both sides' });
    const links = await eventually(async () => {
      const s = await stack.get(`/stories/${story.id}`);
      const byBinding = Object.fromEntries(s.links.filter((l: Json) => l.remoteId).map((l: Json) => [l.bindingId, l.remoteId]));
      return byBinding[rm.binding.id] && byBinding[ghBinding.id] ? byBinding : undefined;
    });
    const redmineId = Number(links[rm.binding.id]);
    const ghNumber = Number(links[ghBinding.id]);
    // Both bindings start from a settled watermark.
    await stack.pullNow(rm.binding.id);
    await stack.pullNow(ghBinding.id);

    await editIssue(redmine, redmineId, { subject: 'Renamed in Redmine' });
    const journalsBefore = (await getIssue(redmine, redmineId, { include: 'journals' })).journals?.length ?? 0;
    gh.resetRequests();
    const pulled = await stack.pullNow(rm.binding.id);
    expect(pulled.counts).toMatchObject({ updated: 1 });
    await eventually(async () => gh.getIssue(REPO, ghNumber)!.title === 'Renamed in Redmine');
    // Any stray echo would be a write still pending on either side.
    await pushSettled(stack, ghBinding.id, story.id);
    await pushSettled(stack, rm.binding.id, story.id);
    const ghWrites = () => gh.requests({ method: 'PATCH' }).length;
    expect(ghWrites()).toBe(1);

    for (let cycle = 0; cycle < 2; cycle++) {
      const a = await stack.pullNow(rm.binding.id);
      const b = await stack.pullNow(ghBinding.id);
      expect(a.counts).toMatchObject({ created: 0, updated: 0, failed: 0 });
      expect(b.counts).toMatchObject({ created: 0, updated: 0, failed: 0 });
      await pushSettled(stack, ghBinding.id, story.id);
      await pushSettled(stack, rm.binding.id, story.id);
    }
    expect(ghWrites()).toBe(1);
    expect(gh.requests({ method: 'POST' })).toHaveLength(0);
    const after = await getIssue(redmine, redmineId, { include: 'journals' });
    expect(after.journals?.length ?? 0).toBe(journalsBefore);
    expect(after.subject).toBe('Renamed in Redmine');
    expect((await stack.get(`/stories/${story.id}`)).title).toBe('Renamed in Redmine');
  });
});
