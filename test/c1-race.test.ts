/**
 * Issue 10 §7, the last C1 race: a remote edit that lands between a push's read of the item and its write.
 * A hook of the worker injects that edit before the write (on the real Redmine): the push hands the
 * version it read to the connector, whose check refuses the write (a conflict), and the push reads and
 * decides again. On the GitHub double the edit lands as our PATCH arrives, past any check: the field's
 * policy then decides it from the remote's history, as if the edit had been read. Under remote_wins the
 * remote user's value ends on the remote and in the hub; under hub_wins ours stands.
 */
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { externalLinks, pushLog } from '../db/schema';
import { createProject, editIssue, ensureRedmine, getIssue, type Redmine } from './support/redmine';
import { startGitHubDouble, type GitHubDouble } from './support/github-double';
import { connectTestClient, createTestApi, createTestDatabase, eventually, startTestWorker, type TestWorker } from './support/harness';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
type RaceAt = { bindingId: string; storyId: string; remoteId: string };

describe('C1: a remote edit between a push\'s read and its write (real Redmine, GitHub double)', { timeout: 240_000 }, () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let client: Awaited<ReturnType<typeof connectTestClient>>;
  let worker: TestWorker;
  let api: Awaited<ReturnType<typeof createTestApi>>;
  let redmine: Redmine;
  let gh: GitHubDouble;
  /** The remote edit to make between the read and the write of the story under test, once. */
  const races = new Map<string, (at: RaceAt) => Promise<void>>();

  const post = async (path: string, body?: unknown): Promise<Json> => {
    const res = await api.call('POST', path, body);
    const json = (await res.json()) as Json;
    if (![200, 201, 202].includes(res.status)) throw new Error(`POST ${path} → ${res.status}: ${JSON.stringify(json)}`);
    return json;
  };
  const get = async (path: string): Promise<Json> => (await (await api.call('GET', path)).json()) as Json;
  const remoteIdOf = (storyId: string, bindingId: string) =>
    eventually(async () => (await get(`/stories/${storyId}`)).links.find((l: Json) => l.bindingId === bindingId && l.remoteId)?.remoteId as string | undefined, 60_000);
  const pushLogOf = (bindingId: string, storyId: string, operation: string) =>
    database.db.select({ fields: pushLog.fields }).from(pushLog).where(and(eq(pushLog.bindingId, bindingId), eq(pushLog.storyId, storyId), eq(pushLog.operation, operation)));

  async function bind(connector: string, config: Json, secrets: Json, scope: string, rules?: Json) {
    const key = `P${Math.random().toString(36).slice(2, 8).toUpperCase()}`;
    const project = await post('/projects', { key, name: key });
    const connection = await post('/connections', { connector, name: `${connector} ${key}`, config, secrets });
    const binding = await post('/bindings', { projectId: project.id, connectionId: connection.id, scope, pullIntervalSeconds: 3600 });
    if (rules) expect((await api.call('PUT', `/bindings/${binding.id}/rules`, rules)).status).toBe(200);
    return { project, binding };
  }

  /**
   * Creates a story, waits for its remote item, then edits its title in the hub while `race` edits it
   * remotely: from the worker's hook right before the write, or (`atRemote`) set up by `race` on the remote itself.
   */
  async function raceTitle(bound: { project: Json; binding: Json }, race: (remoteId: string) => Promise<void>, opts: { atRemote?: () => boolean } = {}) {
    const story = await post(`/projects/${bound.project.id}/stories`, { title: 'Base title' });
    const remoteId = await remoteIdOf(story.id, bound.binding.id);
    let raced = false;
    if (opts.atRemote) await race(remoteId);
    else {
      races.set(story.id, async (at) => {
        raced = true;
        await race(at.remoteId);
      });
    }
    const res = await api.call('PATCH', `/stories/${story.id}`, { version: story.version, title: 'Hub title' });
    expect(res.status).toBe(200);
    await eventually(async () => (opts.atRemote ? opts.atRemote() : raced), 60_000);
    return { story, remoteId };
  }

  beforeAll(async () => {
    redmine = await ensureRedmine();
    gh = await startGitHubDouble({ login: 'trackbridge-bot' });
    database = await createTestDatabase();
    client = await connectTestClient();
    worker = await startTestWorker({
      db: database.db, database,
      hooks: {
        beforeRemoteWrite: async (at) => {
          const race = races.get(at.storyId);
          races.delete(at.storyId);
          await race?.(at);
        },
      },
    });
    api = await createTestApi({ database, client, taskQueue: worker.taskQueue });
  }, 240_000);
  afterAll(async () => {
    await worker?.stop();
    await client?.close();
    await database?.drop();
    await gh?.close();
  });

  it('Redmine, remote_wins: the version check refuses our write over the Redmine user\'s title, which the hub takes', async () => {
    const scope = (await createProject(redmine)).identifier;
    const bound = await bind('redmine', { baseUrl: redmine.url }, { apiKey: redmine.apiKey }, scope);
    const { story, remoteId } = await raceTitle(bound, (id) => editIssue(redmine, Number(id), { subject: 'Redmine title' }));

    await eventually(async () => (await get(`/stories/${story.id}`)).title === 'Redmine title', 60_000);
    expect((await getIssue(redmine, Number(remoteId))).subject).toBe('Redmine title');
    // The journals tell the race: their edit, and nothing of ours over it (nothing to restore).
    const subjects = (await getIssue(redmine, Number(remoteId), { include: 'journals' })).journals
      ?.flatMap((j) => (j.details ?? []).filter((d) => d.name === 'subject').map((d) => d.new_value));
    expect(subjects).toEqual(['Redmine title']);
    expect(await pushLogOf(bound.binding.id, story.id, 'restore')).toEqual([]);
  });

  it('Redmine, hub_wins: our title stands, on both sides', async () => {
    const scope = (await createProject(redmine)).identifier;
    const rules = { fields: [{ hub: 'title', remote: 'title', kind: 'two_way', policy: 'hub_wins' }, { hub: 'description', remote: 'description', kind: 'two_way' }] };
    const bound = await bind('redmine', { baseUrl: redmine.url }, { apiKey: redmine.apiKey }, scope, rules);
    const { story, remoteId } = await raceTitle(bound, (id) => editIssue(redmine, Number(id), { subject: 'Redmine title' }));
    // The push is over once it recorded what the remote holds (the write-ahead's pending values are gone).
    await eventually(async () => {
      const [link] = await database.db.select().from(externalLinks).where(and(eq(externalLinks.bindingId, bound.binding.id), eq(externalLinks.storyId, story.id)));
      const snapshot = link?.snapshot as { pending?: unknown; fields: { title: string } } | null;
      return snapshot && snapshot.pending === undefined && snapshot.fields.title === 'Hub title';
    }, 60_000);

    expect((await getIssue(redmine, Number(remoteId))).subject).toBe('Hub title');
    expect((await get(`/stories/${story.id}`)).title).toBe('Hub title');
    expect(await pushLogOf(bound.binding.id, story.id, 'restore')).toEqual([]);
  });

  it('GitHub, remote_wins: another user\'s rename (an issue event) is restored and taken into the hub', async () => {
    gh.createRepo('octo/race');
    const bound = await bind('github', { baseUrl: gh.url, maxRequestsPerSecond: 100 }, { token: gh.token }, 'octo/race');
    // Mona's rename lands the moment our PATCH arrives: after the connector's version check, before our write.
    let raced = false;
    const { story, remoteId } = await raceTitle(bound, async (id) => void gh.inject({
      method: 'PATCH', path: `/repos/octo/race/issues/${id}`, fault: { kind: 'latency', ms: 0 },
      match: () => {
        if (!raced) gh.editIssue('octo/race', Number(id), { title: 'GitHub title' }, { user: 'mona' });
        raced = true;
        return false;
      },
    }), { atRemote: () => raced });

    await eventually(async () => (await get(`/stories/${story.id}`)).title === 'GitHub title', 60_000);
    expect(gh.getIssue('octo/race', Number(remoteId))?.title).toBe('GitHub title');
    expect(await pushLogOf(bound.binding.id, story.id, 'restore')).toEqual([{ fields: ['title'] }]);
  });
});
