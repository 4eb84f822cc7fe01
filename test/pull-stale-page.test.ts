/**
 * A pull whose page fetch straddles a push's write (the link's write sequence says so) must still bring
 * the item's remote-only changes into the hub. Found by the end-to-end convergence suite: "hub null vs
 * B item … "Normal"", quiet for good. The push created the Redmine issue (Redmine filled in its default
 * priority, which the create leaves to the next pull: snapshot.filled); a pull stamped before the create
 * fetched its page after it, left the item alone as possibly stale, and its watermark and ETag then
 * covered the item, so no later pull listed it again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redmine as redmineConnector } from '../connectors/redmine';
import type { ConnectorDefinition } from '../connectors/types';
import { getConnector } from '../plugins/registry';
import { createProject, ensureRedmine, getIssue, type Redmine } from './support/redmine';
import { connectTestClient, createTestApi, createTestDatabase, eventually, startTestWorker, type TestWorker } from './support/harness';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A gate the next listing waits at: `entered` resolves once the pull has stamped its fetch and asks for the page. */
function gate() {
  let open = () => undefined as void;
  let entered = () => undefined as void;
  const opened = new Promise<void>((resolve) => { open = resolve; });
  const reached = new Promise<void>((resolve) => { entered = resolve; });
  return { open, reached, wait: async () => { entered(); await opened; } };
}

describe('pull: a page fetched while a push wrote the item (real Redmine, Temporal, Postgres)', { timeout: 240_000 }, () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let client: Awaited<ReturnType<typeof connectTestClient>>;
  let worker: TestWorker;
  let api: Awaited<ReturnType<typeof createTestApi>>;
  let redmine: Redmine;
  let listing: ReturnType<typeof gate> | undefined;

  // Redmine as it is, but a listing waits at the gate (when one is set) before it fetches its first page.
  const gatedRedmine: ConnectorDefinition = {
    ...(redmineConnector as unknown as ConnectorDefinition),
    reader: (session, ctx) => {
      const reader = (redmineConnector as unknown as ConnectorDefinition).reader(session, ctx);
      return {
        ...reader,
        async *pull(scope, cursor) {
          const held = listing;
          listing = undefined;
          await held?.wait();
          yield* reader.pull(scope, cursor);
        },
      };
    },
  };

  const call = async (method: string, path: string, body?: unknown): Promise<Json> => {
    const res = await api.call(method, path, body);
    const json = (await res.json()) as Json;
    if (![200, 201, 202].includes(res.status)) throw new Error(`${method} ${path} → ${res.status}: ${JSON.stringify(json)}`);
    return json;
  };
  const waitRun = (workflowId: string) =>
    eventually(async () => {
      const run = await call('GET', `/runs/${encodeURIComponent(workflowId)}`);
      return run.status === 'running' ? undefined : run;
    }, 90_000, 200);

  beforeAll(async () => {
    redmine = await ensureRedmine();
    database = await createTestDatabase();
    client = await connectTestClient();
    worker = await startTestWorker({ db: database.db, database, getConnector: (slug) => (slug === 'redmine' ? gatedRedmine : getConnector(slug)) });
    api = await createTestApi({ database, client, taskQueue: worker.taskQueue });
  }, 240_000);
  afterAll(async () => {
    await worker?.stop();
    await client?.close();
    await database?.drop();
  });

  it("a Redmine default filled in on a create the page's fetch straddled reaches the hub, and stays there", async () => {
    const scope = (await createProject(redmine)).identifier;
    const key = `P${Math.random().toString(36).slice(2, 8).toUpperCase()}`;
    const project = await call('POST', '/projects', { key, name: key });
    const connection = await call('POST', '/connections', { connector: 'redmine', name: `redmine ${key}`, config: { baseUrl: redmine.url }, secrets: { apiKey: redmine.apiKey } });
    const binding = await call('POST', '/bindings', { projectId: project.id, connectionId: connection.id, scope, pullIntervalSeconds: 3600 });
    expect((await waitRun((await call('POST', `/bindings/${binding.id}/initial-sync`)).workflowId)).status).toBe('completed');

    // A pull stamps its fetch and waits at the gate...
    const held = gate();
    listing = held;
    const pull = await call('POST', `/bindings/${binding.id}/pull`);
    await held.reached;
    // ...while the push creates the issue, with no priority: Redmine fills in its default.
    const story = await call('POST', `/projects/${project.id}/stories`, { title: 'Sent without a priority' });
    expect(story.priority).toBeNull();
    await eventually(async () => (await call('GET', `/stories/${story.id}/pushes`)).items.some((h: Json) => h.operation === 'create'), 60_000);
    const remoteId = (await call('GET', `/stories/${story.id}`)).links.find((l: Json) => l.bindingId === binding.id).remoteId as string;
    const filled = (await getIssue(redmine, Number(remoteId))).priority.name;
    expect(filled).toBeTruthy();
    expect((await call('GET', `/stories/${story.id}`)).priority).toBeNull();

    // The page, fetched now, shows the issue as created.
    held.open();
    expect((await waitRun(pull.workflowId)).status).toBe('completed');
    // The next pull: the remote has not changed since, so it lists nothing new.
    // Under load the API may still name the pull that just ended; ask again until a new one starts.
    const next = await eventually(async () => {
      const started = await call('POST', `/bindings/${binding.id}/pull`);
      return started.workflowId !== pull.workflowId ? started : undefined;
    }, 30_000, 500);
    expect((await waitRun(next.workflowId)).status).toBe('completed');
    expect((await call('GET', `/stories/${story.id}`)).priority).toBe(filled);
  });
});
