import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signedFileUrl } from '../lib/file-links';
import { startGitHubDouble, type GitHubDouble } from './support/github-double';
import { connectTestClient, createTestApi, createTestDatabase, eventually, startTestWorker, testSecretBox } from './support/harness';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const REPO = 'octo/links';
const TTL = 600;

/** Signed file links posted on GitHub: they expire, and die with the file's story. */
describe('signed file links', { timeout: 120_000 }, () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let client: Awaited<ReturnType<typeof connectTestClient>>;
  let worker: Awaited<ReturnType<typeof startTestWorker>>;
  let api: Awaited<ReturnType<typeof createTestApi>>;
  let gh: GitHubDouble;

  beforeAll(async () => {
    database = await createTestDatabase();
    client = await connectTestClient();
    worker = await startTestWorker({ db: database.db, database, fileLinkTtlSeconds: TTL, publicUrl: 'https://hub.example.com' });
    api = await createTestApi({ database, client, taskQueue: worker.taskQueue });
    gh = await startGitHubDouble();
    gh.createRepo(REPO);
  });
  afterAll(async () => {
    await gh?.close();
    await worker?.stop();
    await client?.close();
    await database?.drop();
  });

  const post = async (path: string, body: unknown) => {
    const res = await api.call('POST', path, body);
    expect(res.status, `${path}: ${await res.clone().text()}`).toBeLessThan(300);
    return (await res.json()) as Json;
  };
  /** Opens a link as a GitHub reader would: no token, only what the link carries. */
  const open = (url: URL | string) => {
    const u = new URL(url);
    return api.app.request(`${u.pathname}${u.search}`);
  };

  it('posts a link that expires after FILE_LINK_TTL_SECONDS, opens until then, and is refused once expired, forged or once its story is deleted', async () => {
    const project = await post('/projects', { key: 'LNK', name: 'Links' });
    const connection = await post('/connections', { connector: 'github', name: 'gh', config: { baseUrl: gh.url }, secrets: { token: gh.token } });
    const binding = await post('/bindings', { projectId: project.id, connectionId: connection.id, scope: REPO, pullIntervalSeconds: 3600 });
    expect((await api.call('PUT', `/bindings/${binding.id}/rules`, { files: { direction: 'to_remote' } })).status).toBe(200);
    const story = await post(`/projects/${project.id}/stories`, { title: 'Trace attached' });
    const data = randomBytes(2048);
    const uploaded = await api.app.request(`/stories/${story.id}/attachments?name=trace.log`, {
      method: 'POST', headers: { authorization: `Bearer ${api.token}`, 'content-type': 'text/plain' }, body: data,
    });
    expect(uploaded.status).toBe(201);
    const file = (await uploaded.json()) as Json;

    const number = Number(await eventually(async () =>
      ((await (await api.call('GET', `/stories/${story.id}`)).json()) as Json).links.find((l: Json) => l.bindingId === binding.id && l.remoteId)?.remoteId as string | undefined));
    const comment = await eventually(async () => gh.listComments(REPO, number).find((c) => c.body?.includes('trace.log')));
    const link = new URL(/\((https:[^)]+)\)/.exec(comment.body!)![1]!);
    const pushedAt = Date.now() / 1000;
    const exp = Number(link.searchParams.get('exp'));
    expect(exp).toBeGreaterThan(pushedAt + TTL - 60);
    expect(exp).toBeLessThanOrEqual(pushedAt + TTL + 1);

    const opened = await open(link);
    expect(opened.status).toBe(200);
    expect(new Uint8Array(await opened.arrayBuffer())).toEqual(new Uint8Array(data));

    // Moving the expiry invalidates the signature; a link signed earlier than the TTL ago has expired.
    const extended = new URL(link);
    extended.searchParams.set('exp', String(exp + 365 * 24 * 3600));
    expect((await open(extended)).status).toBe(403);
    const withoutExpiry = new URL(link);
    withoutExpiry.searchParams.delete('exp');
    expect((await open(withoutExpiry)).status).toBe(403);
    const stale = signedFileUrl('https://hub.example.com', testSecretBox, file.id, { ttlSeconds: TTL, now: new Date(Date.now() - (TTL + 5) * 1000) });
    const expired = await open(stale);
    expect(expired.status).toBe(403);
    expect(((await expired.json()) as Json).error.message).toMatch(/expired/);
    expect((await open(signedFileUrl('https://hub.example.com', testSecretBox, file.id, { ttlSeconds: TTL }))).status).toBe(200);

    // Deleting the story takes its files' links with it.
    const current = (await (await api.call('GET', `/stories/${story.id}`)).json()) as Json;
    expect((await api.call('DELETE', `/stories/${story.id}?version=${current.version}`)).status).toBe(200);
    expect((await open(link)).status).toBe(404);
  });
});
