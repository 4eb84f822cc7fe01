/**
 * A remote that cannot do everything its capabilities suggest: comments that can be added but not
 * edited, items that cannot be deleted. The push goes around both, visibly, and never fails on them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPlugins } from '../plugins/load';
import { startGitHubDouble, type GitHubDouble } from './support/github-double';
import { eventually } from './support/harness';
import { startStack, type Stack } from './support/scenario';

const REPO = 'octo/add-only';
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('a remote with add-only comments and no deletes (GitHub double, real Temporal and Postgres)', () => {
  let stack: Stack;
  let gh: GitHubDouble;
  let bound: Awaited<ReturnType<Stack['bind']>>;

  const remoteNumber = async (storyId: string) =>
    Number(await eventually(async () => (await stack.get(`/stories/${storyId}`)).links.find((l: Json) => l.bindingId === bound.binding.id)?.remoteId as string | undefined));
  const activity = async (storyId: string, kind: string) => (await stack.get(`/stories/${storyId}/activity?kind=${kind}`)).items as Json[];
  const bodies = (number: number) => gh.listComments(REPO, number).map((c) => c.body);

  beforeAll(async () => {
    await loadPlugins(['./test/fixtures/plugins/add-only.ts']);
    stack = await startStack();
    gh = await startGitHubDouble();
    gh.createRepo(REPO);
    bound = await stack.bind('github-add-only', { baseUrl: gh.url, maxRequestsPerSecond: 100 }, { token: gh.token }, REPO, { deletePolicy: 'delete' });
  });
  afterAll(async () => {
    await gh?.close();
    await stack?.stop();
  });

  it('GET /connectors says what the connector cannot do', async () => {
    const { items } = await stack.get('/connectors');
    expect(items.find((c: Json) => c.slug === 'github-add-only').capabilities).toMatchObject({ comments: true, commentEdits: false, write: true, deleteItems: false });
    expect(items.find((c: Json) => c.slug === 'github').capabilities).toMatchObject({ commentEdits: true, deleteItems: true });
  });

  it('posts a hub comment, then keeps its edit in the hub with one explain entry; the push goes on', async () => {
    const story = await stack.post(`/projects/${bound.project.id}/stories`, { title: 'Commented' });
    const number = await remoteNumber(story.id);
    const comment = await stack.post(`/stories/${story.id}/comments`, { body: 'first words' });
    await eventually(async () => bodies(number).includes('first words'));

    const edit = await stack.api.call('PATCH', `/stories/${story.id}/comments/${comment.id}`, { body: 'second thoughts' });
    expect(edit.status).toBe(200);
    const skipped = await eventually(async () => (await activity(story.id, 'comment')).find((e) => e.target === 'none'));
    expect(skipped).toMatchObject({
      direction: 'push', hub: 'second thoughts', written: null, remoteId: String(number),
      outcome: "hub comment edit not sent: github-add-only's comments are add-only",
    });
    expect(bodies(number)).toEqual(['first words']);

    // The story's next push still goes out, the edit is not explained a second time, and nothing became a dead letter.
    const current = await stack.get(`/stories/${story.id}`);
    expect((await stack.api.call('PATCH', `/stories/${story.id}`, { version: current.version, title: 'Commented, renamed' })).status).toBe(200);
    await stack.post(`/stories/${story.id}/comments`, { body: 'a later comment' });
    // Comments go out in order, so the later one on GitHub means this push went past the edited one.
    await eventually(async () => bodies(number).includes('a later comment'));
    expect(gh.getIssue(REPO, number)?.title).toBe('Commented, renamed');
    expect(bodies(number)).toEqual(['first words', 'a later comment']);
    expect((await activity(story.id, 'comment')).filter((e) => e.target === 'none')).toHaveLength(1);
    expect((await stack.get(`/bindings/${bound.binding.id}/dead-letters`)).items).toEqual([]);
    const pushes = (await stack.get(`/stories/${story.id}/pushes`)).items as Json[];
    expect(pushes.every((p) => p.outcome === 'ok')).toBe(true);
  }, 60_000);

  it("closes the item of a deleted story when the binding's delete policy asks for a delete the remote cannot do", async () => {
    const story = await stack.post(`/projects/${bound.project.id}/stories`, { title: 'Short-lived' });
    const number = await remoteNumber(story.id);
    expect((await stack.api.call('DELETE', `/stories/${story.id}?version=${story.version}`)).status).toBe(200);
    await eventually(async () => gh.getIssue(REPO, number)?.state === 'closed');
    const closed = await eventually(async () => (await activity(story.id, 'field')).find((e) => String(e.outcome).startsWith('story deleted')));
    expect(closed).toMatchObject({ field: 'status', written: { status: 'closed', closed: true }, outcome: 'story deleted in the hub: remote item closed (github-add-only cannot delete items)' });
    const pushes = (await stack.get(`/stories/${story.id}/pushes`)).items as Json[];
    expect(pushes[0]).toMatchObject({ operation: 'close', outcome: 'ok' });
    expect((await stack.get(`/bindings/${bound.binding.id}/dead-letters`)).items).toEqual([]);
  }, 60_000);
});
