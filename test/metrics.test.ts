import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../db/client';
import { startGitHubDouble, type GitHubDouble } from './support/github-double';
import { connectTestClient, createTestApi, createTestDatabase, eventually, startTestWorker } from './support/harness';

const METRICS_TOKEN = 'metrics-token-for-the-test-0123';
const REPO = 'octo/metrics';

/** The value of one series in a Prometheus text exposition, or undefined. */
function series(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || line.startsWith('#')) continue;
    const m = /^([a-z_]+)(\{([^}]*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[3] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[4]);
  }
  return undefined;
}

describe('GET /metrics: Prometheus format behind its own token', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let client: Awaited<ReturnType<typeof connectTestClient>>;
  let worker: Awaited<ReturnType<typeof startTestWorker>>;
  let api: Awaited<ReturnType<typeof createTestApi>>;
  let gh: GitHubDouble;

  beforeAll(async () => {
    database = await createTestDatabase();
    client = await connectTestClient();
    worker = await startTestWorker({ db: database.db, database });
    api = await createTestApi({ database, client, taskQueue: worker.taskQueue, metricsToken: METRICS_TOKEN });
    gh = await startGitHubDouble();
    gh.createRepo(REPO);
    gh.seedIssues(REPO, 5);
  });
  afterAll(async () => {
    await gh?.close();
    await worker?.stop();
    await client?.close();
    await database?.drop();
  });

  const scrape = async () => {
    const res = await api.app.request('/metrics', { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    return res.text();
  };

  it('refuses an API token, a wrong token and none: the metrics token is its own', async () => {
    expect((await api.app.request('/metrics')).status).toBe(401);
    expect((await api.app.request('/metrics', { headers: { authorization: `Bearer ${api.token}` } })).status).toBe(401);
    expect((await api.app.request('/metrics', { headers: { authorization: 'Bearer metrics-token-for-the-test-0124' } })).status).toBe(401);
  });

  it('counts remote requests by status, items pulled, pushes by outcome, and reads sink backlogs and relay lag from the database', async () => {
    const before = await scrape();
    const okBefore = series(before, 'trackbridge_remote_requests_total', { service: 'GitHub', status: '200' }) ?? 0;
    const createdBefore = series(before, 'trackbridge_items_pulled_total', { outcome: 'created' }) ?? 0;

    const post = async (path: string, body: unknown) => (await (await api.call('POST', path, body)).json()) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    const project = await post('/projects', { key: 'MET', name: 'Metrics' });
    const connection = await post('/connections', { connector: 'github', name: 'gh', config: { baseUrl: gh.url, maxRequestsPerSecond: 100 }, secrets: { token: gh.token } });
    const binding = await post('/bindings', { projectId: project.id, connectionId: connection.id, scope: REPO, pullIntervalSeconds: 3600 });
    await post(`/bindings/${binding.id}/initial-sync`, {});
    await eventually(async () => ((await (await api.call('GET', `/projects/${project.id}/stories`)).json()) as { items: unknown[] }).items.length === 5 || undefined);
    const story = await post(`/projects/${project.id}/stories`, { title: 'counted' });
    await eventually(async () => gh.listIssues(REPO).length === 6 || undefined);
    // Everything so far relayed first: a sink takes the events relayed after it exists.
    await eventually(async () => (await queryRows<{ n: number }>(database.db, sql`select count(*)::int as n from outbox_pending`))[0]!.n === 0);
    const sink = await post('/sinks', { name: 'parked', kind: 'webhook', projectId: project.id, config: { url: 'http://127.0.0.1:9/x' }, secrets: { secret: 'x'.repeat(20) } });
    await api.call('POST', `/sinks/${sink.id}/pause`);
    await api.call('PATCH', `/stories/${story.id}`, { version: story.version, title: 'counted twice' });

    const after = await eventually(async () => {
      const text = await scrape();
      return (series(text, 'trackbridge_pushes_total', { outcome: 'created' }) ?? 0) >= 1 && (series(text, 'trackbridge_sink_backlog_size', { sink: sink.id }) ?? 0) >= 1 ? text : undefined;
    });
    expect(series(after, 'trackbridge_remote_requests_total', { service: 'GitHub', status: '200' })! - okBefore).toBeGreaterThan(0);
    expect(series(after, 'trackbridge_items_pulled_total', { outcome: 'created' })! - createdBefore).toBe(5);
    expect(series(after, 'trackbridge_sink_backlog_size', { sink: sink.id, kind: 'webhook', name: 'parked' })).toBe(1);
    expect(series(after, 'trackbridge_sink_backlog_age_seconds', { sink: sink.id })).toBeGreaterThanOrEqual(0);
    expect(series(after, 'trackbridge_sink_events_published', { sink: sink.id })).toBe(0);
    expect(series(after, 'trackbridge_outbox_relay_lag_seconds')).toBeGreaterThanOrEqual(0);
    expect(series(after, 'trackbridge_dead_letters_open')).toBe(0);
    expect(after).toContain('# TYPE trackbridge_rate_limit_waits_total counter');
    expect(after).not.toContain(gh.token);
  });
});
