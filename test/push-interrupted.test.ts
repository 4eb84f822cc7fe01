/**
 * Issue 10, found by the kills suite: two pushes of one story die in a row, the first just after its
 * remote write, the second between its write-ahead and its write. The third must still write the
 * latest hub edit: the first push's value on the remote is ours (its write-ahead said so), not a
 * remote edit for remote_wins to take back into the hub over the newer edits.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitHubDouble, type GitHubDouble } from './support/github-double';
import { connectTestClient, createTestApi, createTestDatabase, eventually, startTestWorker, type TestWorker } from './support/harness';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const REPO = 'octo/interrupted';

describe('a push after two interrupted pushes of one story (GitHub double)', { timeout: 120_000 }, () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let client: Awaited<ReturnType<typeof connectTestClient>>;
  let worker: TestWorker;
  let api: Awaited<ReturnType<typeof createTestApi>>;
  let gh: GitHubDouble;
  /** What the next pushes of the story under test do just before their remote write, in turn. */
  const deaths: ((remoteId: string) => Promise<void>)[] = [];

  const call = async (method: string, path: string, body?: unknown): Promise<Json> => {
    const res = await api.call(method, path, body);
    const json = (await res.json()) as Json;
    if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status}: ${JSON.stringify(json)}`);
    return json;
  };
  const setTitle = async (storyId: string, title: string) =>
    call('PATCH', `/stories/${storyId}`, { version: (await call('GET', `/stories/${storyId}`)).version, title });

  beforeAll(async () => {
    gh = await startGitHubDouble();
    gh.createRepo(REPO);
    database = await createTestDatabase();
    client = await connectTestClient();
    worker = await startTestWorker({ db: database.db, database, hooks: { beforeRemoteWrite: async (at) => deaths.shift()?.(at.remoteId) } });
    api = await createTestApi({ database, client, taskQueue: worker.taskQueue });
  }, 120_000);
  afterAll(async () => {
    await worker?.stop();
    await client?.close();
    await database?.drop();
    await gh?.close();
  });

  it('writes the latest hub title, and the hub keeps it', async () => {
    const project = await call('POST', '/projects', { key: 'INT', name: 'Interrupted' });
    const connection = await call('POST', '/connections', { connector: 'github', name: 'gh', config: { baseUrl: gh.url, maxRequestsPerSecond: 100 }, secrets: { token: gh.token } });
    const binding = await call('POST', '/bindings', { projectId: project.id, connectionId: connection.id, scope: REPO, pullIntervalSeconds: 3600 });
    const story = await call('POST', `/projects/${project.id}/stories`, { title: 'v0' });
    const remoteId = await eventually(async () => (await call('GET', `/stories/${story.id}`)).links.find((l: Json) => l.bindingId === binding.id && l.remoteId)?.remoteId as string | undefined, 60_000);

    // Push 1 writes v1 and dies before recording it; meanwhile the hub moves to v2.
    deaths.push(async (id) => {
      gh.editIssue(REPO, Number(id), { title: 'v1' });
      await setTitle(story.id, 'v2');
      throw new Error('worker killed after the remote write');
    });
    // Its retry (push 2) writes ahead v2 and dies before the write; meanwhile the hub moves to v3.
    deaths.push(async () => {
      await setTitle(story.id, 'v3');
      throw new Error('worker killed before the remote write');
    });
    await setTitle(story.id, 'v1');

    await eventually(async () => deaths.length === 0 && gh.getIssue(REPO, Number(remoteId))?.title === 'v3', 60_000).catch(async () => {
      throw new Error(`GitHub has ${gh.getIssue(REPO, Number(remoteId))?.title}, the hub ${(await call('GET', `/stories/${story.id}`)).title}`);
    });
    expect((await call('GET', `/stories/${story.id}`)).title).toBe('v3');
  });
});
